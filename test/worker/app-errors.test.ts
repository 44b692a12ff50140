// The shared error table (error-cases.ts) against the app in Node through app.request(): the same codes and
// statuses as the Worker in workerd, with the stand-in internet injected as the app's fetch.
import { photonWasmModule } from "@cf-wasm/photon/node";
import { beforeAll, describe, it } from "vitest";
import { installPhoton } from "../../runtime/pixels";
import { CASES, ERROR_CASE_VARS, expectProblem, outbound } from "./error-cases";
import { makeApp } from "./node-app";

/** outbound() as a fetch that honours the request's AbortSignal, as a real fetch does. */
const fakeFetch = ((input: RequestInfo | URL, init?: RequestInit) =>
  new Promise<Response>((resolve, reject) => {
    init?.signal?.addEventListener("abort", () => reject(init.signal!.reason), { once: true });
    outbound(new Request(input, init)).then(resolve, reject);
  })) as typeof fetch;

beforeAll(() => installPhoton(photonWasmModule));

describe("problem+json from the app in Node", () => {
  const app = makeApp(ERROR_CASE_VARS, { fetch: fakeFetch });
  it.each(CASES)("$name → $status $code", async ({ path, init, status, code }) => {
    await expectProblem(await app.request(path ?? "/v1/analyze", init), status, code);
  });
});
