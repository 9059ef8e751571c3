// Team spaces (docs/teams.md): a team's member has two spaces, My files (their home) and
// the team's, and a switch between them. The page learns the team from the API
// (`GET /list?whoami=1`: {"identity_id", "team"}), when it starts and again after each
// renewed token, since an operator's change of `custom:team` reaches the user with
// their next token. A team removed shows at once: the API answers 403 no_team, and
// the page goes back to My files saying why.

import { describeStatus } from "../api.js";
import { fail } from "../ui.js";
import { go } from "./listing.js";
import { drawChrome } from "./render.js";
import { api, makeSpace, spaces, state } from "./state.js";

/** The signed-in user's spaces from scratch: their home, and their team's once learned. */
export function startSpaces() {
  spaces.home = makeSpace("home");
  spaces.team = null;
}

/** Asks the API which team the token names, and follows what changed. */
export async function learnTeam() {
  let who;
  try {
    // whoami takes no other parameter: asked of the home, which names no space.
    who = await api.in("home").json("GET", "list", { whoami: 1 });
  } catch {
    return; // Nothing learned: the spaces stay as they are (the listing says what is wrong).
  }
  await followTeam(typeof who?.team === "string" && who.team ? who.team : null);
}

/** The token's team is now `team` (or none): the switch follows, and a team place that is gone is left. */
async function followTeam(team) {
  const before = spaces.team?.team ?? null;
  if (team === before) return;
  spaces.team = team ? makeSpace("team", team) : null;
  if (state.space !== "team") {
    drawChrome();
    return;
  }
  // The space on screen was the old team's.
  if (team) fail(new Error(`Your account moved to team ${team}: its space is Team ${team}, beside My files.`));
  else fail(new Error(describeStatus(403, "no_team")));
  await go({ space: "home", view: state.view, prefix: "" });
}

/** The API answered no_team: the token carries no team any more. */
export function lostTeam() {
  return followTeam(null);
}

/** The switch: the other space, at its root, in the same view (files or trash). */
export function switchSpace(id) {
  if (id === state.space || !spaces[id]) return undefined;
  return go({ space: id, view: state.view, prefix: "" });
}
