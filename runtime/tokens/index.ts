export { Florence2Tokenizer, type TokenizerFiles } from "./tokenizer";
