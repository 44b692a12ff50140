// Which image_url targets the server may fetch (SSRF guard). Checked on the URL given and again on every
// redirect hop. What can be decided from the URL alone is decided here: scheme, port, credentials, IP literals
// outside public unicast space (ipaddr.js also classifies IPv4-mapped and NAT64 forms), and host names that
// name the local machine or a private network. A public name that resolves to a private address cannot be
// caught from the URL: Node checks resolved addresses through an injected hook (server-node/), and on
// Cloudflare subrequests leave from the edge, which does not reach private networks.
import ipaddr from "ipaddr.js";
import { ApiError } from "./problem";

const PRIVATE_SUFFIXES = [".localhost", ".internal", ".local", ".home.arpa", ".lan", ".intranet", ".corp"];

function refuse(detail: string): never {
  throw new ApiError("url_not_allowed", detail);
}

/** Is this address one a public fetch may reach? (public unicast only) */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  return ipaddr.process(address).range() === "unicast";
}

/** Parses and checks a URL; returns it normalised (WHATWG parsing folds hex/octal IPv4 forms). */
export function checkImageUrl(raw: string | URL, allowPrivate: boolean): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    refuse("image_url is not an absolute URL.");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    refuse(`Only http and https URLs are fetched, not ${url.protocol}`);
  if (url.username !== "" || url.password !== "") refuse("URLs with credentials are not fetched.");
  if (allowPrivate) return url;
  if (url.port !== "") refuse("Only the default port (80 for http, 443 for https) is allowed.");
  const host = url.hostname.toLowerCase().replace(/\.$/, "");
  const literal = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  if (ipaddr.isValid(literal)) {
    if (!isPublicAddress(literal)) refuse(`${literal} is not a public address.`);
    return url;
  }
  if (host === "localhost" || PRIVATE_SUFFIXES.some((s) => host.endsWith(s)))
    refuse(`${host} is a local or private host name.`);
  // A single label (`intranet`, `metadata`) resolves through search domains to internal hosts.
  if (!host.includes(".")) refuse(`${host} is not a fully qualified host name.`);
  return url;
}
