// The vote block of an open proposal's page: when this browser holds a member's key, show the choices,
// say in words what the vote says, sign it with that key and post it.

import * as api from "../api.js";
import { BadInput } from "../errors.js";
import * as keystore from "../keystore.js";
import * as statement from "../statement.js";
import { embedded, inWords, say, secureOrSay } from "../ui.js";
import { VOTE_TYPE, voteBody } from "../votes.js";

const NEEDS_REASON = ["object", "block"];
const inputs = embedded("vote-inputs");
const section = document.getElementById("vote");
const form = document.getElementById("vote-form");
const result = document.getElementById("vote-result");
const aboutToSign = form.querySelector(".about-to-sign");

start();

async function start() {
  if (!secureOrSay()) return;
  const held = await keystore.listKeys();
  if (!held.length) {
    document.getElementById("no-key").hidden = false;
    return;
  }
  // A browser may hold keys of several members (a shared computer): it votes as the first one eligible.
  const voter = held.find((key) => inputs.eligible.includes(key.handle)) ?? held[0];
  section.hidden = false;
  const device = voter.label ? `the key of this ${voter.label}` : "the key in this browser";
  if (!inputs.eligible.includes(voter.handle)) {
    say(document.getElementById("voter"), "notice", `${voter.handle} may not vote on this proposal: only who was a member when it opened may.`);
    return;
  }
  if (inputs.closes && Date.parse(inputs.closes) < Date.now()) {
    say(document.getElementById("voter"), "notice", "Voting on this proposal has ended. The result comes when someone closes it.");
    return;
  }
  document.getElementById("voter").textContent = `You vote as ${voter.handle}, with ${device}.`;
  form.hidden = false;
  form.addEventListener("input", () => showSentence(voter.handle));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    send(voter.handle);
  });
}

// What the form says now: the choice, the ranking (ranked choice), the reason. Throws BadInput when it is not a vote yet.
function ballot() {
  const choice = form.querySelector("input[name=choice]:checked")?.value;
  if (!choice) throw new BadInput("Choose how you vote first.");
  const reason = form.querySelector("#reason").value.trim();
  if (NEEDS_REASON.includes(choice) && !reason) throw new BadInput(`To ${choice}, write your reason.`);
  return { choice, reason, ranking: choice === "rank" ? ranking() : [] };
}

function ranking() {
  const ranked = [...form.querySelectorAll("select[name=rank]")].filter((select) => select.value)
    .map((select) => ({ option: select.dataset.option, rank: Number(select.value) }))
    .sort((a, b) => a.rank - b.rank);
  if (!ranked.length) throw new BadInput("Give at least one option a rank, starting with 1.");
  ranked.forEach(({ rank }, i) => {
    if (rank !== i + 1) throw new BadInput(`Use the ranks 1, 2, 3… each once: rank ${i + 1} is ${rank < i + 1 ? "given twice" : "missing"}.`);
  });
  return ranked.map(({ option }) => option);
}

function sentence(handle, { choice, reason, ranking: order }) {
  const what = choice === "rank" ? `I rank the options: ${order.map((option, i) => `${i + 1}. ${option}`).join(", ")}` : `I vote: ${inputs.choice_words[choice]}`;
  return `I am ${handle}. On the proposal “${inputs.title}” (${inputs.proposal}), ${what}.${reason ? ` My reason: ${reason}` : ""}`;
}

function showSentence(handle) {
  try {
    aboutToSign.querySelector("[data-sentence]").textContent = sentence(handle, ballot());
    aboutToSign.hidden = false;
  } catch (error) {
    if (!(error instanceof BadInput)) throw error;
    aboutToSign.hidden = true;
  }
}

async function send(handle) {
  const button = form.querySelector("button");
  button.disabled = true;
  try {
    const { choice, reason, ranking: order } = ballot();
    const key = await keystore.loadKey(handle);
    const fields = voteBody(inputs.proposal, inputs.sha256, choice, reason, order);
    const body = statement.makeBody(VOTE_TYPE, await api.origin(), handle, await api.nextSeq(handle), fields);
    const receipt = await api.post(await statement.sign(body, [key]), `/api/v1/proposals/${encodeURIComponent(inputs.proposal)}/votes`);
    say(result, "done", `Your vote is in, signed by ${handle} (statement ${receipt.seq}). Reload the page to see the tally. `
      + "You may vote again until it closes: your last vote counts.");
  } catch (error) {
    say(result, "error", inWords(error));
  } finally {
    button.disabled = false;
  }
}
