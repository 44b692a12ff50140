// Node only: an image_url host must resolve to public addresses only (a public name pointing at 10.0.0.1
// passes the URL check). The fetch resolves again, so DNS rebinding between the two lookups stays possible;
// operators who need more should fetch through an egress proxy.
import { lookup } from "node:dns/promises";
import ipaddr from "ipaddr.js";
import { ApiError } from "../worker/problem";
import { isPublicAddress } from "../worker/url-policy";

export function publicHostCheck(allowPrivate: boolean): (hostname: string) => Promise<void> {
  return async (hostname) => {
    const host = hostname.replace(/^\[|\]$/g, "");
    if (allowPrivate || ipaddr.isValid(host)) return; // literals were checked by the URL policy
    let addresses: { address: string }[];
    try {
      addresses = await lookup(host, { all: true, verbatim: true });
    } catch {
      throw new ApiError("url_fetch_failed", `${host} could not be resolved.`);
    }
    const bad = addresses.find((a) => !isPublicAddress(a.address));
    if (bad)
      throw new ApiError(
        "url_not_allowed",
        `${host} resolves to ${bad.address}, which is not a public address.`,
      );
  };
}
