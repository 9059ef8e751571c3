// Folders that stay until a file lands in them. S3 has no empty folders: a folder is
// the common prefix of the keys under it, so a folder made with "New folder" has no
// existence in the bucket until a file is written into it. The page keeps such
// folders in this browser's localStorage, one list per user (by the ID token's
// `sub`), and shows them beside the folders the listing returns, marked "empty".
// A record goes as soon as the listing shows the folder (a file landed in it, from
// any client), when the folder is deleted, and moves with a rename or a move.
//
// Why not a marker object (`folder/.keep`): every client (the CLI, the API, S3
// itself) would list it as a file unless the API hid it, the trash and the versions
// would fill with markers, and a folder delete or restore would carry them along;
// the record costs nothing and touches nothing stored. Its limit: another browser
// does not see a folder that is still empty here (docs/web.md).

const PREFIX = "homedir.folders.";
const MAX_RECORDS = 2000;

export class FolderRecords {
  /** One list per user and space: the home's, or (with `team`) that team's space's. */
  constructor(userId, team = null) {
    this.storageKey = `${PREFIX}${userId || "anonymous"}${team ? `.team.${team}` : ""}`;
  }

  /** Every recorded folder (a prefix ending with "/"). */
  all() {
    try {
      const value = JSON.parse(localStorage.getItem(this.storageKey) || "[]");
      return Array.isArray(value) ? value.filter((p) => typeof p === "string" && p.endsWith("/")) : [];
    } catch {
      return [];
    }
  }

  #save(list) {
    const unique = [...new Set(list)].sort().slice(0, MAX_RECORDS);
    try {
      if (unique.length) localStorage.setItem(this.storageKey, JSON.stringify(unique));
      else localStorage.removeItem(this.storageKey);
    } catch {
      // Storage full or refused (a private window's quota): the folder lasts until reload.
    }
  }

  has(prefix) {
    return this.all().includes(prefix);
  }

  add(prefix) {
    this.#save([...this.all(), prefix]);
  }

  /** Forgets `prefix` and every recorded folder under it. */
  remove(prefix) {
    this.#save(this.all().filter((p) => !p.startsWith(prefix)));
  }

  /** Forgets exactly these folders (they exist in the bucket now). */
  landed(prefixes) {
    const gone = new Set(prefixes);
    const list = this.all();
    if (list.some((p) => gone.has(p))) this.#save(list.filter((p) => !gone.has(p)));
  }

  /**
   * A folder and the records under it move to `to` (a rename or a move); with `copy`,
   * they are copied. `into`: the records of the space they go to (another space's).
   */
  move(from, to, { copy = false, into = this } = {}) {
    const list = this.all();
    const moved = list.filter((p) => p.startsWith(from)).map((p) => to + p.slice(from.length));
    if (into === this) {
      this.#save([...(copy ? list : list.filter((p) => !p.startsWith(from))), ...moved]);
      return;
    }
    if (!copy) this.remove(from);
    for (const prefix of moved) into.add(prefix);
  }

  /** The folders directly under `prefix` that records make visible (a record deeper down shows its top folder here). */
  childrenOf(prefix) {
    const children = new Set();
    for (const record of this.all()) {
      if (!record.startsWith(prefix) || record === prefix) continue;
      const rest = record.slice(prefix.length);
      children.add(prefix + rest.slice(0, rest.indexOf("/") + 1));
    }
    return [...children];
  }
}
