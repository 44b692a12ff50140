#!/usr/bin/env python3
"""Run Florence-2's reference Python processor on fixed inputs and write the expected values as JSON.

Usage (Debian: apt-get install python3-torch python3-numpy; use the system interpreter):

    /usr/bin/python3 scripts/reference-postprocess/generate_cases.py \
        /tmp/florence2_ref/processing_florence2.py \
        --out test/fixtures/reference-postprocess/cases.json

The first argument is a local copy of Microsoft's remote-code `processing_florence2.py` (the file shipped on
the Florence-2 model repos). It is public code we do not commit: fetch it to /tmp and point this script at it.

Why stubs: that file imports `transformers` (ProcessorMixin, BartTokenizer, ...) only for the image/tokenizer
side. The parts exercised here (`_construct_prompts`, `post_process_generation`, the quantizers, the
post-processor's regexes) need only `re`, numpy and torch. So this script installs tiny stand-in modules for
the `transformers` names the file imports, builds the processor with a fake tokenizer and image processor
(only the attributes its __init__ touches), and calls the real methods. Nothing of the reference's logic is
reimplemented here: every expected value below comes from the reference's own code running.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import types
from pathlib import Path


def install_transformers_stubs() -> None:
    """Stand-ins for the `transformers` names imported at the top of processing_florence2.py."""

    class _Anything:
        def __init__(self, *args, **kwargs):
            pass

    class ProcessorMixin:
        def __init__(self, *args, **kwargs):
            pass

    class TensorType:
        PYTORCH = "pt"

    modules = {
        "transformers": {"BartTokenizer": type("BartTokenizer", (), {}),
                         "BartTokenizerFast": type("BartTokenizerFast", (), {})},
        "transformers.feature_extraction_utils": {"BatchFeature": _Anything},
        "transformers.image_utils": {"ImageInput": object, "is_valid_image": lambda _x: False},
        "transformers.processing_utils": {"ProcessorMixin": ProcessorMixin},
        "transformers.tokenization_utils_base": {
            "PaddingStrategy": object, "PreTokenizedInput": object, "TextInput": object,
            "TruncationStrategy": object,
        },
        "transformers.utils": {"TensorType": TensorType},
    }
    for name, attrs in modules.items():
        module = types.ModuleType(name)
        for key, value in attrs.items():
            setattr(module, key, value)
        sys.modules[name] = module


class FakeTokenizer:
    """Only what Florence2Processor.__init__ and Florence2PostProcesser.__init__ read."""

    additional_special_tokens: list[str] = []
    all_special_tokens = ["<s>", "</s>", "<pad>", "<unk>", "<mask>"]

    def add_special_tokens(self, _tokens):
        return 0


class FakeImageProcessor:
    image_seq_length = 577


def load_reference(path: str):
    install_transformers_stubs()
    spec = importlib.util.spec_from_file_location("florence2_reference_processing", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def locs(*bins: int | str) -> str:
    return "".join(f"<loc_{b}>" for b in bins)


# ---------------------------------------------------------------------------------------------------------
# Post-processing cases: (id, task token, generated text as decoded with special tokens kept, [width, height]).
# A real decode starts with "</s><s>" (decoder start 2, forced BOS 0) and ends with "</s>" (+ "<pad>" in
# batches), so most cases carry that frame.
# ---------------------------------------------------------------------------------------------------------
S = "</s><s>"
E = "</s>"

POSTPROCESS_CASES: list[tuple[str, str, str, tuple[int, int]]] = [
    # pure_text
    ("caption-basic", "<CAPTION>", S + "A green car parked in front of a yellow building." + E, (640, 480)),
    ("detailed-caption-pad-tail", "<DETAILED_CAPTION>", S + "The image shows a car." + E + "<pad><pad>", (640, 480)),
    ("more-detailed-caption-spaces-kept", "<MORE_DETAILED_CAPTION>", "<s>  Spaces around  " + E, (100, 100)),
    ("ocr-newline", "<OCR>", S + "CVS\nPHARMACY" + E, (800, 600)),
    ("ocr-empty", "<OCR>", "", (800, 600)),
    ("ocr-replace-order", "<OCR>", "</<s>s>x<</s>s>y", (10, 10)),
    ("region-to-category-keeps-locs", "<REGION_TO_CATEGORY>", S + "car" + locs(1, 2, 3, 4) + E, (640, 480)),
    ("region-to-description", "<REGION_TO_DESCRIPTION>", S + "a red double-decker bus" + E, (640, 480)),
    ("region-to-ocr-non-ascii", "<REGION_TO_OCR>", S + "Café – ünïcödé 東京" + E, (640, 480)),
    # ocr (OCR_WITH_REGION)
    ("ocr-with-region-model-card", "<OCR_WITH_REGION>",
     S + "CVS" + locs(52, 333, 932, 333, 932, 774, 52, 774) + "CVS Pharmacy" + locs(100, 200, 300, 200, 300, 250, 100, 250)
     + E, (1248, 1664)),
    ("ocr-with-region-truncated", "<OCR_WITH_REGION>",
     S + "Hello" + locs(1, 2, 3, 4, 5, 6, 7, 8) + "World" + locs(10, 20, 30, 40, 50), (500, 300)),
    ("ocr-with-region-newline-in-text", "<OCR_WITH_REGION>",
     S + "line1\nline2" + locs(1, 1, 9, 1, 9, 9, 1, 9) + E, (1000, 1000)),
    ("ocr-with-region-pad-and-eos", "<OCR_WITH_REGION>",
     S + "A" + locs(0, 0, 999, 0, 999, 999, 0, 999) + "</s><pad>B" + locs(5, 5, 6, 5, 6, 6, 5, 6) + "<pad>", (333, 777)),
    ("ocr-with-region-label-swallows-short-run", "<OCR_WITH_REGION>",
     S + "abc" + locs(1, 2, 3, 4) + "def" + locs(11, 12, 13, 14, 15, 16, 17, 18) + E, (640, 480)),
    ("ocr-with-region-spaces-kept", "<OCR_WITH_REGION>", S + "  spaced  " + locs(1, 2, 3, 4, 5, 6, 7, 8) + E, (64, 64)),
    ("ocr-with-region-line-separator", "<OCR_WITH_REGION>", S + "x\u2028y" + locs(1, 2, 3, 4, 5, 6, 7, 8) + E, (64, 64)),
    ("ocr-with-region-empty", "<OCR_WITH_REGION>", "", (640, 480)),
    # description_with_bboxes (OD, DENSE_REGION_CAPTION)
    ("od-model-card", "<OD>",
     S + "car" + locs(53, 333, 933, 774) + "door" + locs(711, 203, 805, 474) + "wheel" + locs(708, 531, 899, 709)
     + locs(144, 535, 320, 710) + E, (640, 480)),
    ("od-non-ascii-label", "<OD>", S + "café table" + locs(10, 20, 30, 40) + "日本" + locs(1, 1, 2, 2) + E, (640, 480)),
    ("od-odd-coordinate-counts", "<OD>", S + "cat" + locs(1, 2, 3, 4, 5) + "dog" + locs(6, 7, 8, 9, 10, 11, 12) + E, (640, 480)),
    ("od-truncated", "<OD>", S + "car" + locs(1, 2, 3, 4) + "bus" + locs(5, 6, 7), (640, 480)),
    ("od-three-locs-between", "<OD>", S + "car" + locs(1, 2, 3) + "bus" + locs(5, 6, 7, 8) + E, (640, 480)),
    ("od-empty", "<OD>", "", (640, 480)),
    ("od-only-frame", "<OD>", S + E + "<pad>", (640, 480)),
    ("od-newline-inside-label-dropped", "<OD>", S + "red\ncar" + locs(1, 2, 3, 4) + "bus" + locs(5, 6, 7, 8) + E, (640, 480)),
    ("od-leading-newline-kept", "<OD>", S + "\n car " + locs(1, 2, 3, 4) + E, (640, 480)),
    ("od-out-of-range-bins", "<OD>", S + "big" + locs(1234, 0, 99999, 5) + E, (640, 480)),
    ("od-pad-between-locs", "<OD>", S + "car" + locs(1, 2) + "<pad>" + locs(3, 4) + E, (640, 480)),
    ("od-case-kept", "<OD>", S + "Car" + locs(1, 2, 3, 4) + E, (640, 480)),
    ("od-unicode-digits", "<OD>", S + "car" + locs("١٢", 2, 3, 4) + E, (640, 480)),
    ("od-carriage-return-in-label", "<OD>", S + "a\rb" + locs(1, 2, 3, 4) + E, (640, 480)),
    ("od-python-whitespace", "<OD>", S + "\x1ccar\x85" + locs(1, 2, 3, 4) + E, (640, 480)),
    ("dense-region-caption-spaces", "<DENSE_REGION_CAPTION>",
     S + "  a man in a hat " + locs(100, 100, 500, 900) + "a dog on a leash" + locs(600, 700, 800, 990) + E, (1920, 1080)),
    ("dense-region-caption-odd-size", "<DENSE_REGION_CAPTION>", S + "x" + locs(0, 0, 999, 999) + E, (333, 777)),
    # bboxes (REGION_PROPOSAL)
    ("region-proposal-run-of-eight", "<REGION_PROPOSAL>", S + locs(1, 2, 3, 4, 5, 6, 7, 8) + E, (640, 480)),
    ("region-proposal-text-between", "<REGION_PROPOSAL>", S + locs(1, 2, 3, 4) + "foo" + locs(5, 6, 7, 8) + E, (640, 480)),
    ("region-proposal-six-and-three", "<REGION_PROPOSAL>", S + locs(1, 2, 3, 4, 5, 6) + "x" + locs(7, 8, 9) + E, (640, 480)),
    ("region-proposal-empty", "<REGION_PROPOSAL>", "", (640, 480)),
    # phrase_grounding
    ("grounding-model-card", "<CAPTION_TO_PHRASE_GROUNDING>",
     S + "A green car" + locs(52, 332, 932, 774) + "a yellow building" + locs(0, 0, 998, 327) + E, (640, 480)),
    ("grounding-blacklist", "<CAPTION_TO_PHRASE_GROUNDING>",
     S + "it" + locs(1, 2, 3, 4) + "the image" + locs(5, 6, 7, 8) + "It" + locs(9, 10, 11, 12) + "I"
     + locs(13, 14, 15, 16) + " a group " + locs(17, 18, 19, 20) + "lots" + locs(1, 1, 1, 1) + "a set"
     + locs(2, 2, 2, 2) + "a man" + locs(3, 3, 3, 3) + E, (640, 480)),
    ("grounding-non-ascii", "<CAPTION_TO_PHRASE_GROUNDING>",
     S + "café" + locs(1, 2, 3, 4) + "日本" + locs(5, 6, 7, 8) + E, (640, 480)),
    ("grounding-multiple-boxes", "<CAPTION_TO_PHRASE_GROUNDING>",
     S + "two dogs" + locs(1, 2, 3, 4, 5, 6, 7, 8, 9, 10) + E, (640, 480)),
    ("grounding-whitespace-phrase", "<CAPTION_TO_PHRASE_GROUNDING>", S + "  " + locs(1, 2, 3, 4) + E, (640, 480)),
    ("grounding-truncated", "<CAPTION_TO_PHRASE_GROUNDING>", S + "a cat" + locs(1, 2, 3), (640, 480)),
    ("grounding-python-whitespace", "<CAPTION_TO_PHRASE_GROUNDING>",
     S + "\x1fit\x85" + locs(1, 2, 3, 4) + "\ufeffdog" + locs(5, 6, 7, 8) + E, (640, 480)),
    # polygons (REFERRING_EXPRESSION_SEGMENTATION, REGION_TO_SEGMENTATION)
    ("res-two-parts-sep", "<REFERRING_EXPRESSION_SEGMENTATION>",
     S + locs(10, 20, 30, 20, 30, 40, 10, 40) + "<sep>" + locs(50, 50, 60, 50, 60, 60) + E, (640, 480)),
    ("res-three-parts-sep", "<REFERRING_EXPRESSION_SEGMENTATION>",
     S + locs(1, 2, 3, 4, 5, 6) + "<sep>" + locs(7, 8, 9, 10, 11, 12) + "<sep>" + locs(13, 14, 15, 16, 17, 18) + E,
     (1024, 768)),
    ("rts-odd-count", "<REGION_TO_SEGMENTATION>", S + locs(100, 200, 300, 400, 500, 600, 700) + E, (640, 480)),
    ("rts-poly-instances", "<REGION_TO_SEGMENTATION>",
     S + "<poly>" + locs(1, 2, 3, 4, 5, 6) + "</poly><poly>" + locs(7, 8, 9, 10, 11, 12) + "<sep>" + locs(13, 14, 15, 16)
     + "</poly>" + E, (640, 480)),
    ("rts-single-loc-after-sep", "<REGION_TO_SEGMENTATION>", S + locs(1, 2, 3, 4, 5, 6) + "<sep>" + locs(5) + E, (640, 480)),
    ("res-text-before-is-ignored", "<REFERRING_EXPRESSION_SEGMENTATION>", S + "person" + locs(1, 2, 3, 4, 5, 6) + E, (640, 480)),
    ("res-short-run-ignored", "<REFERRING_EXPRESSION_SEGMENTATION>", S + locs(1, 2, 3) + E, (640, 480)),
    ("res-empty", "<REFERRING_EXPRESSION_SEGMENTATION>", "", (640, 480)),
    ("res-pad-tail", "<REFERRING_EXPRESSION_SEGMENTATION>", S + locs(9, 8, 7, 6, 5, 4, 3, 2) + E + "<pad><pad>", (500, 500)),
    ("res-leading-sep", "<REFERRING_EXPRESSION_SEGMENTATION>", S + "<sep>" + locs(1, 2, 3, 4, 5, 6) + E, (640, 480)),
    ("rts-poly-unclosed", "<REGION_TO_SEGMENTATION>", S + "<poly>" + locs(1, 2, 3, 4, 5, 6) + E, (640, 480)),
    # description_with_bboxes_or_polygons (OPEN_VOCABULARY_DETECTION)
    ("ovd-boxes", "<OPEN_VOCABULARY_DETECTION>", S + "a green car" + locs(52, 332, 932, 774) + E, (640, 480)),
    ("ovd-polygons", "<OPEN_VOCABULARY_DETECTION>",
     S + "a green car<poly>" + locs(10, 20, 30, 20, 30, 40) + "</poly>" + E, (640, 480)),
    ("ovd-boxes-and-polygons", "<OPEN_VOCABULARY_DETECTION>",
     S + "car" + locs(1, 2, 3, 4) + "dog<poly>" + locs(5, 6, 7, 8, 9, 10) + "</poly>" + E, (640, 480)),
    ("ovd-polygon-non-ascii-kept", "<OPEN_VOCABULARY_DETECTION>",
     S + "café<poly>" + locs(5, 6, 7, 8, 9, 10) + "</poly>" + E, (640, 480)),
    ("ovd-polygon-sep-inside", "<OPEN_VOCABULARY_DETECTION>",
     S + "two cats<poly>" + locs(1, 2, 3, 4, 5, 6) + "<sep>" + locs(7, 8, 9, 10, 11, 12, 13) + "</poly><poly>"
     + locs(20, 21, 22, 23) + "</poly>" + E, (800, 600)),
    ("ovd-boxes-non-ascii-dropped", "<OPEN_VOCABULARY_DETECTION>", S + "café" + locs(1, 2, 3, 4) + E, (640, 480)),
    ("ovd-polygon-bom-label", "<OPEN_VOCABULARY_DETECTION>",
     S + "\ufeffcat<poly>" + locs(1, 2, 3, 4, 5, 6) + "</poly>" + E, (640, 480)),
    ("ovd-empty", "<OPEN_VOCABULARY_DETECTION>", "", (640, 480)),
    ("ovd-truncated-poly", "<OPEN_VOCABULARY_DETECTION>", S + "bird<poly>" + locs(1, 2, 3), (640, 480)),
]

# ---------------------------------------------------------------------------------------------------------
# Prompt cases: the reference's _construct_prompts on task token + text input (exactly how the model card
# builds prompts: `prompt = task_prompt + text_input`).
# ---------------------------------------------------------------------------------------------------------
PROMPT_CASES: list[tuple[str, str]] = [
    ("<CAPTION>", ""),
    ("<DETAILED_CAPTION>", ""),
    ("<MORE_DETAILED_CAPTION>", ""),
    ("<OCR>", ""),
    ("<OCR_WITH_REGION>", ""),
    ("<OD>", ""),
    ("<DENSE_REGION_CAPTION>", ""),
    ("<REGION_PROPOSAL>", ""),
    ("<CAPTION_TO_PHRASE_GROUNDING>", "A green car parked in front of a yellow building."),
    ("<CAPTION_TO_PHRASE_GROUNDING>", "  spaces are kept  "),
    ("<CAPTION_TO_PHRASE_GROUNDING>", "Café {braces} 東京"),
    ("<OPEN_VOCABULARY_DETECTION>", "costs $& $1 {0} {input}"),
    ("<REFERRING_EXPRESSION_SEGMENTATION>", "line one\nline two"),
    ("<CAPTION_TO_PHRASE_GROUNDING>", ""),
    ("<REFERRING_EXPRESSION_SEGMENTATION>", "a green car"),
    ("<REGION_TO_SEGMENTATION>", locs(702, 575, 866, 772)),
    ("<OPEN_VOCABULARY_DETECTION>", "a green car"),
    ("<REGION_TO_CATEGORY>", locs(52, 332, 932, 774)),
    ("<REGION_TO_DESCRIPTION>", locs(52, 332, 932, 774)),
    ("<REGION_TO_OCR>", locs(0, 0, 999, 999)),
    # Text given to a task that takes none: the reference asserts.
    ("<OD>", "extra"),
    ("<CAPTION>", " "),
    ("<OCR>", "<OCR>"),
    # Text input that itself contains a task token.
    ("<CAPTION_TO_PHRASE_GROUNDING>", "find <OD> here"),
    ("<REGION_TO_OCR>", "<CAPTION_TO_PHRASE_GROUNDING>x"),
    ("<OPEN_VOCABULARY_DETECTION>", "cat<OPEN_VOCABULARY_DETECTION>dog"),
]

# ---------------------------------------------------------------------------------------------------------
# Region quantization cases: BoxQuantizer('floor', (1000, 1000)).quantize on a float32 box (what
# torch.tensor([[x1, y1, x2, y2]]) of Python floats gives) and, when the box is integral, on an int64 box.
# ---------------------------------------------------------------------------------------------------------
QUANTIZE_CASES: list[tuple[list[float], tuple[int, int]]] = [
    ([0, 0, 640, 480], (640, 480)),
    ([64, 48, 320, 240], (640, 480)),
    ([33.6, 159.4, 596.9, 371.2], (640, 480)),
    ([-5, -0.1, 700, 10000], (640, 480)),
    ([0.64, 0.48, 0.6399, 0.4799], (640, 480)),
    ([1, 1, 332, 776], (333, 777)),
    ([100, 100, 200, 200], (1000, 1000)),
    ([99.99999, 100.00001, 249.5, 250.5], (1000, 1000)),
    ([12.3, 45.6, 789.0, 1011.1], (1920, 1080)),
    ([7, 7, 7, 7], (7, 7)),
    ([2.999, 3.001, 5.0005, 6.5], (3, 7)),
    ([1234.5678, 2345.6789, 3456.789, 4567.891], (4608, 4608)),
    # float32 arithmetic matters: 27 / float32(1.08) = 24.999998 -> bin 24 (exact arithmetic says 25).
    ([100, 27, 200, 540], (1920, 1080)),
    ([1920, 135, 0, 1053], (1920, 1080)),
]


def jsonable(value):
    if isinstance(value, float) and value != value:
        raise ValueError("NaN in expected values")
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("reference", help="path to Microsoft's processing_florence2.py (a local copy)")
    parser.add_argument("--out", required=True, help="where to write cases.json")
    args = parser.parse_args()

    import torch  # noqa: E402  (after arg parsing so --help works without torch)

    ref = load_reference(args.reference)
    processor = ref.Florence2Processor(image_processor=FakeImageProcessor(), tokenizer=FakeTokenizer())

    postprocess = []
    seen_ids = set()
    for case_id, task, text, size in POSTPROCESS_CASES:
        assert case_id not in seen_ids, case_id
        seen_ids.add(case_id)
        expected = processor.post_process_generation(text=text, task=task, image_size=size)
        postprocess.append({"id": case_id, "task": task, "text": text, "imageSize": {"width": size[0], "height": size[1]},
                            "expected": expected})

    prompts = []
    for task, text_input in PROMPT_CASES:
        try:
            result = {"prompt": processor._construct_prompts([task + text_input])[0]}
        except AssertionError as err:
            result = {"error": "AssertionError", "message": str(err)}
        prompts.append({"task": task, "textInput": text_input, "reference": result})

    quantizer = processor.post_processor.box_quantizer
    quantize = []
    for box, size in QUANTIZE_CASES:
        bins_f32 = quantizer.quantize(torch.tensor([box], dtype=torch.float32), size).tolist()[0]
        entry = {"box": box, "imageSize": {"width": size[0], "height": size[1]}, "bins": bins_f32}
        if all(float(v).is_integer() for v in box):
            entry["binsFromInt64"] = quantizer.quantize(torch.tensor([[int(v) for v in box]]), size).tolist()[0]
        region = "".join(f"<loc_{b}>" for b in bins_f32)
        entry["regionToCategoryPrompt"] = processor._construct_prompts(["<REGION_TO_CATEGORY>" + region])[0]
        quantize.append(entry)

    out = {
        "generatedBy": "scripts/reference-postprocess/generate_cases.py",
        "reference": "Microsoft processing_florence2.py (remote code of the Florence-2 model repos)",
        "torch": torch.__version__,
        "python": sys.version.split()[0],
        "tables": {
            "tasks_answer_post_processing_type": processor.tasks_answer_post_processing_type,
            "task_prompts_without_inputs": processor.task_prompts_without_inputs,
            "task_prompts_with_input": processor.task_prompts_with_input,
            "black_list_of_phrase_grounding": sorted(processor.post_processor.black_list_of_phrase_grounding),
        },
        "postprocess": postprocess,
        "prompts": prompts,
        "quantize": quantize,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, ensure_ascii=False, indent=1, default=jsonable) + "\n", encoding="utf-8")
    print(f"wrote {args.out}: {len(postprocess)} post-process cases, {len(prompts)} prompt cases, "
          f"{len(quantize)} quantize cases")


if __name__ == "__main__":
    main()
