// image_url checks: what is refused before any fetch, and how redirects, size and time are enforced (fetch
// replaced by a scripted fake).
import { describe, expect, it } from "vitest";
import { ApiError } from "../../worker/problem";
import { fetchImageUrl, type UrlFetchOptions } from "../../worker/url-fetch";
import { checkImageUrl } from "../../worker/url-policy";

const code = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    return e instanceof ApiError ? e.code : `not an ApiError: ${String(e)}`;
  }
  return undefined;
};

describe("checkImageUrl", () => {
  it.each([
    "https://images.example.com/cat.png",
    "http://cdn.example.org/a/b.jpg?x=1",
    "https://8.8.8.8/x.png",
    "https://[2606:4700::6810:84e5]/x.png",
    "https://images.example.com:443/x.png",
  ])("allows %s", (url) => {
    expect(code(() => checkImageUrl(url, false))).toBeUndefined();
  });

  it.each([
    ["file:///etc/passwd", "scheme"],
    ["ftp://images.example.com/x.png", "scheme"],
    ["data:image/png;base64,AAAA", "scheme"],
    ["https://user:pw@images.example.com/x.png", "credentials"],
    ["https://images.example.com:8443/x.png", "port"],
    ["http://127.0.0.1/x.png", "loopback"],
    ["http://2130706433/x.png", "loopback, decimal form"],
    ["http://0x7f.1/x.png", "loopback, hex form"],
    ["http://0.0.0.0/x.png", "unspecified"],
    ["http://10.1.2.3/x.png", "private"],
    ["http://192.168.0.1/x.png", "private"],
    ["http://100.64.0.1/x.png", "carrier-grade NAT"],
    ["http://169.254.169.254/latest/meta-data", "link-local (cloud metadata)"],
    ["http://[::1]/x.png", "IPv6 loopback"],
    ["http://[fd00::1]/x.png", "IPv6 unique local"],
    ["http://[fe80::1]/x.png", "IPv6 link-local"],
    ["http://[::ffff:10.0.0.1]/x.png", "IPv4-mapped private"],
    ["http://[64:ff9b::a00:1]/x.png", "NAT64 of a private address"],
    ["http://224.0.0.1/x.png", "multicast"],
    ["http://localhost/x.png", "localhost"],
    ["http://api.localhost/x.png", "*.localhost"],
    ["http://metadata.google.internal/x", "*.internal"],
    ["http://printer.local/x.png", "mDNS"],
    ["http://intranet/x.png", "single label"],
    ["not a url", "unparsable"],
  ])("refuses %s (%s)", (url) => {
    expect(code(() => checkImageUrl(url, false))).toBe("url_not_allowed");
  });

  it("allows private targets and other ports when configured, but still only http(s)", () => {
    expect(code(() => checkImageUrl("http://127.0.0.1:8080/x.png", true))).toBeUndefined();
    expect(code(() => checkImageUrl("file:///etc/passwd", true))).toBe("url_not_allowed");
  });
});

type Script = Record<string, () => Response | Promise<Response>>;

function options(
  script: Script,
  extra: Partial<UrlFetchOptions> = {},
): UrlFetchOptions & { calls: string[] } {
  const calls: string[] = [];
  const fakeFetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input);
    calls.push(url);
    expect(init?.redirect).toBe("manual");
    const answer = script[url];
    if (!answer) return new Response("no", { status: 404 });
    return new Promise<Response>((resolve, reject) => {
      init?.signal?.addEventListener("abort", () => reject(init.signal!.reason));
      void Promise.resolve(answer()).then(resolve);
    });
  }) as typeof fetch;
  return { fetch: fakeFetch, allowPrivate: false, timeoutMs: 1000, maxBytes: 1000, calls, ...extra };
}

const redirect =
  (to: string, status = 302) =>
  () =>
    new Response(null, { status, headers: { location: to } });
const body =
  (n: number, headers: HeadersInit = {}) =>
  () =>
    new Response(new Uint8Array(n), { headers });

async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "resolved";
  } catch (e) {
    return e instanceof ApiError ? e.code : `not an ApiError: ${String(e)}`;
  }
}

describe("fetchImageUrl", () => {
  it("follows up to three redirects (relative ones too), re-checking each hop", async () => {
    const opts = options({
      "https://a.example/1": redirect("/2", 301),
      "https://a.example/2": redirect("https://b.example/3", 307),
      "https://b.example/3": redirect("4", 308),
      "https://b.example/4": body(10),
    });
    expect((await fetchImageUrl("https://a.example/1", opts)).length).toBe(10);
    expect(opts.calls).toEqual([
      "https://a.example/1",
      "https://a.example/2",
      "https://b.example/3",
      "https://b.example/4",
    ]);
  });

  it("refuses a fourth redirect, and a redirect to a private address before fetching it", async () => {
    const chain = options({
      "https://a.example/0": redirect("/1"),
      "https://a.example/1": redirect("/2"),
      "https://a.example/2": redirect("/3"),
      "https://a.example/3": redirect("/4"),
    });
    expect(await failure(fetchImageUrl("https://a.example/0", chain))).toBe("url_fetch_failed");
    expect(chain.calls).toHaveLength(4);
    const sneaky = options({ "https://a.example/x": redirect("http://192.168.1.1/admin") });
    expect(await failure(fetchImageUrl("https://a.example/x", sneaky))).toBe("url_not_allowed");
    expect(sneaky.calls).toEqual(["https://a.example/x"]);
  });

  it("bounds the size by Content-Length and by counting a stream", async () => {
    expect(
      await failure(
        fetchImageUrl(
          "https://a.example/big",
          options({ "https://a.example/big": body(10, { "content-length": "5000" }) }),
        ),
      ),
    ).toBe("image_too_large");
    const stream = () => new Response(new ReadableStream({ pull: (c) => c.enqueue(new Uint8Array(300)) }));
    expect(
      await failure(
        fetchImageUrl("https://a.example/endless", options({ "https://a.example/endless": stream })),
      ),
    ).toBe("image_too_large");
    expect(
      (await fetchImageUrl("https://a.example/ok", options({ "https://a.example/ok": body(1000) }))).length,
    ).toBe(1000);
  });

  it("bounds the time, body included", async () => {
    const never = () => new Promise<Response>(() => {});
    expect(
      await failure(
        fetchImageUrl(
          "https://a.example/slow",
          options({ "https://a.example/slow": never }, { timeoutMs: 100 }),
        ),
      ),
    ).toBe("url_fetch_timeout");
    const trickle = () => new Response(new ReadableStream({ start: (c) => c.enqueue(new Uint8Array(1)) }));
    expect(
      await failure(
        fetchImageUrl(
          "https://a.example/trickle",
          options({ "https://a.example/trickle": trickle }, { timeoutMs: 100 }),
        ),
      ),
    ).toBe("url_fetch_timeout");
  });

  it("maps upstream errors and network failures to url_fetch_failed, and consults the host check on every hop", async () => {
    expect(await failure(fetchImageUrl("https://a.example/gone", options({})))).toBe("url_fetch_failed");
    const down = options(
      {},
      { fetch: (() => Promise.reject(new TypeError("connect ECONNREFUSED"))) as typeof fetch },
    );
    expect(await failure(fetchImageUrl("https://a.example/x", down))).toBe("url_fetch_failed");
    const hosts: string[] = [];
    const checked = options(
      { "https://a.example/x": redirect("https://evil.example/y") },
      {
        checkHost: async (h) => {
          hosts.push(h);
          if (h === "evil.example") throw new ApiError("url_not_allowed", "resolves to 10.0.0.1");
        },
      },
    );
    expect(await failure(fetchImageUrl("https://a.example/x", checked))).toBe("url_not_allowed");
    expect(hosts).toEqual(["a.example", "evil.example"]);
  });
});
