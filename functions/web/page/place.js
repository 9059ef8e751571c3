// Where you are, in the URL's fragment: `#/files/<folder>/…` or `#/trash/<folder>/…` in
// one's home, `#/team/files/<folder>/…` or `#/team/trash/<folder>/…` in the team's
// space, each folder name percent-encoded, then `?select=<name>` for each selected item
// (names relative to the folder; a folder's with its "/"). The fragment never
// leaves the browser (no server log, no Referer), so folder names stay private, and
// the page answers at one address whatever the place.
//
// A new folder or view is a new history entry (Back and Forward move between them); a
// change of selection replaces the current one.

/** {space, view, prefix, selection} from a location's hash; anything unreadable is Home. */
export function readPlace(hash) {
  const raw = String(hash || "").replace(/^#/, "");
  const cut = raw.indexOf("?");
  const path = cut < 0 ? raw : raw.slice(0, cut);
  const query = cut < 0 ? "" : raw.slice(cut + 1);
  const segments = path.split("/").filter(Boolean);
  const space = segments[0] === "team" ? "team" : "home";
  if (space === "team") segments.shift();
  const view = segments[0] === "trash" ? "trash" : "files";
  const names = [];
  for (const segment of segments.slice(1)) {
    let name;
    try {
      name = decodeURIComponent(segment);
    } catch {
      break;
    }
    if (!name || name === "." || name === ".." || name.includes("/")) break;
    names.push(name);
  }
  const prefix = names.length ? `${names.join("/")}/` : "";
  const selection = new URLSearchParams(query).getAll("select").filter(Boolean);
  return { space, view, prefix, selection };
}

/** The hash for a place. */
export function placeHash({ space = "home", view, prefix, selection = [] }) {
  const names = prefix.split("/").filter(Boolean).map(encodeURIComponent);
  let hash = `#/${space === "team" ? "team/" : ""}${view}/${names.length ? `${names.join("/")}/` : ""}`;
  if (selection.length) {
    const query = new URLSearchParams();
    for (const name of selection) query.append("select", name);
    hash += `?${query}`;
  }
  return hash;
}

/** Puts the place in the URL: a new history entry (`push`) or the current one replaced. */
export function writePlace(place, { push }) {
  const hash = placeHash(place);
  if (hash === location.hash) return;
  const url = `${location.pathname}${location.search}${hash}`;
  if (push) history.pushState(null, "", url);
  else history.replaceState(null, "", url);
}
