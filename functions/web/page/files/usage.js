// The usage bar (docs/web.md, "Usage and quotas"): how much the space on screen holds
// of its quota (`GET /list?usage=1`, `space=team` in the team's), as a <meter> named
// for the space with its words beside it ("2.1 MB of 10.7 GB used"; "2.1 MB used"
// without a quota; "Full: …" once the space holds its quota). It counts every version,
// so old versions and the trash take room too (the tooltip says how many versions).
// It is asked for when the space on screen changes and after anything that writes or
// deletes (every action reloads its view with `load({ keep: true })`); the stack counts
// a write from S3's notifications a moment after it is answered, so it is asked once
// at once and once more a few seconds later. A stack that counts no usage shows no bar.

import { $, count, formatSize } from "../ui.js";
import { here } from "./state.js";

/** The second look after a change: by then the usage function has counted it. */
const AGAIN_AFTER_MS = 3000;

let asked = 0;
let again = null;
/** The space whose usage the bar shows (or is being asked for). */
let shownFor = null;

/** Shows the usage of the space on screen, if it is not the one shown already. */
export function followUsage() {
  const space = here();
  if (space === shownFor) return;
  clearTimeout(again);
  ask(space);
}

/** Something was written or deleted: the usage now, and again once it is counted. */
export function usageChanged() {
  const space = here();
  clearTimeout(again);
  ask(space);
  again = setTimeout(() => {
    if (space === here()) ask(space);
  }, AGAIN_AFTER_MS);
}

/** Signing out: no bar, no answer awaited. */
export function hideUsage() {
  asked++;
  clearTimeout(again);
  shownFor = null;
  $("usage").hidden = true;
}

async function ask(space) {
  const mine = ++asked;
  shownFor = space;
  let usage;
  try {
    usage = await space.api.json("GET", "list", { usage: 1 });
  } catch {
    // A stack that counts no usage (400), or no answer: no bar rather than a wrong one.
    if (mine === asked) $("usage").hidden = true;
    return;
  }
  if (mine !== asked || space !== here()) return;
  draw(space, usage);
}

/** "2.1 MB of 10.7 GB used", "Full: 10.7 GB of 10.7 GB used", "2.1 MB used". */
export function usageWords(usage) {
  const used = formatSize(usage.bytes);
  if (!usage.quota_bytes) return `${used} used`;
  const words = `${used} of ${formatSize(usage.quota_bytes)} used`;
  return usage.over ? `Full: ${words}` : words;
}

function draw(space, usage) {
  const meter = $("usage-meter");
  const words = usageWords(usage);
  meter.setAttribute("aria-label", `Space used in ${space.title}`);
  meter.setAttribute("aria-valuetext", words);
  if (usage.quota_bytes) {
    meter.max = usage.quota_bytes;
    meter.value = Math.min(usage.bytes, usage.quota_bytes);
    meter.low = usage.quota_bytes * 0.75;
    meter.high = usage.quota_bytes * 0.9;
    meter.optimum = 0;
    meter.hidden = false;
  } else {
    meter.hidden = true;
  }
  $("usage-text").textContent = words;
  $("usage").title = `${count(usage.versions, "file version")}: old versions and the trash take room too.`;
  $("usage").classList.toggle("full", Boolean(usage.over));
  $("usage").hidden = false;
}
