// "Your devices": each member this browser holds a key of, with the keys their record lists. From here
// the member links a new device (a code the new device uses to leave its key; this device signs the
// addition once the member has compared fingerprints) and stops (revokes) the key of a lost one.

import * as api from "../api.js";
import { unbase64 } from "../base64.js";
import { encode } from "../jcs.js";
import { changeKeys } from "../keychange.js";
import * as keystore from "../keystore.js";
import { keyEntry, revoked } from "../members.js";
import { qrSvg } from "../qr.js";
import { fingerprint, inWords, say, secureOrSay } from "../ui.js";

const POLL_MS = 1500;

start();

async function start() {
  if (!secureOrSay()) return;
  const held = await keystore.listKeys();
  if (!held.length) {
    document.getElementById("none").hidden = false;
    return;
  }
  for (const key of held) {
    try {
      document.getElementById("members").append(await memberSection(key));
    } catch (error) {
      // A key of a handle the node does not know (any more): say so, and go on with the others.
      const box = document.createElement("p");
      say(box, "error", `${key.handle}: ${inWords(error)}`);
      document.getElementById("members").append(box);
    }
  }
}

async function memberSection(held) {
  const section = copy("member");
  section.querySelector("[data-handle]").textContent = held.handle;
  section.querySelector("[data-action=link]").onclick = () => startLink(section, held);
  await showKeys(section, held);
  return section;
}

async function showKeys(section, held) {
  const { keys } = await api.read(`/api/v1/members/${encodeURIComponent(held.handle)}`);
  section.querySelector("ul.keys").replaceChildren(...keys.map((key) => keyRow(section, held, key)));
}

function keyRow(section, held, key) {
  const row = copy("key");
  row.querySelector("[data-label]").textContent = key.label ?? (key.recovery ? "recovery words" : "a key with no name");
  row.querySelector("[data-fingerprint]").textContent = fingerprint(key.kid);
  row.querySelector("[data-state]").textContent = stateOf(key, held);
  // This device's key signs the change, so it cannot stop itself here; the recovery key is stopped by recovering.
  if (!key.recovery && key.revoked_after === undefined && key.kid !== held.kid) {
    const button = row.querySelector("[data-action=revoke]");
    button.hidden = false;
    button.onclick = () => askRevoke(section, held, key);
  }
  return row;
}

function stateOf(key, held) {
  if (key.revoked_after !== undefined) return `stopped after statement ${key.revoked_after}`;
  if (key.kid === held.kid) return "this device";
  return key.recovery ? "only to recover: on paper" : "in use";
}

function askRevoke(section, held, key) {
  const box = section.querySelector("[data-revoke]");
  const name = key.label ?? "a key with no name";
  box.querySelector("[data-sentence]").textContent = `I am ${held.handle}. Stop the key of “${name}” `
    + `(fingerprint ${fingerprint(key.kid)}) from now on. What it signed before stays valid.`;
  box.hidden = false;
  box.querySelector("[data-action=cancel-revoke]").onclick = () => { box.hidden = true; };
  box.querySelector("[data-action=confirm-revoke]").onclick = () => sign(section, held, box, async () => {
    const receipt = await changeKeys(held.handle, await keystore.loadKey(held.handle),
      (keys, lastSeq) => keys.map((entry) => (entry.kid === key.kid ? revoked(entry, lastSeq) : entry)));
    return `The key of “${name}” is stopped, from statement ${receipt.seq} on.`;
  });
}

async function startLink(section, held) {
  const result = section.querySelector("[data-result]");
  let started;
  try {
    started = await api.post(encode({ handle: held.handle }), "/api/v1/device-links");
  } catch (error) {
    say(result, "error", inWords(error));
    return;
  }
  const box = section.querySelector("[data-link]");
  const link = box.querySelector("[data-link-url]");
  link.href = link.textContent = started.link;
  box.querySelector("[data-link-page]").textContent = `${location.origin}/link`;
  box.querySelector("[data-code]").textContent = started.code;
  box.querySelector("[data-qr]").innerHTML = qrSvg(started.link, "The link for the new device as a QR code");
  box.querySelector("[data-expires]").textContent = new Date(started.expires).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  box.querySelector("[data-offer]").hidden = true;
  box.querySelector("[data-waiting]").hidden = false;
  box.hidden = false;
  section.querySelector("[data-action=link]").hidden = true;
  waitForOffer(section, held, started.code, Date.parse(started.expires));
}

// The new device leaves its key under the code; poll until it has, or the code ends.
async function waitForOffer(section, held, code, ends) {
  const box = section.querySelector("[data-link]");
  while (!box.hidden) {
    if (Date.now() > ends) return endLink(section, "notice", "The code has ended. Press “Link a new device” for a new one.");
    let standing;
    try {
      standing = await api.read(`/api/v1/device-links/${encodeURIComponent(code)}`);
    } catch (error) {
      return endLink(section, "error", inWords(error));
    }
    if (standing.offer) return showOffer(section, held, standing.offer);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

// The fingerprint is computed here from the public key itself, not taken from the node's answer.
async function showOffer(section, held, offer) {
  const box = section.querySelector("[data-offer]");
  const kid = await keystore.kidOf(unbase64(offer.public));
  box.querySelector("[data-offer-label]").textContent = offer.label;
  box.querySelector("[data-fingerprint]").textContent = fingerprint(kid);
  box.querySelector("[data-sentence]").textContent = `I am ${held.handle}. Add the key of “${offer.label}” `
    + `(fingerprint ${fingerprint(kid)}) to my keys: it may sign for me from now on.`;
  section.querySelector("[data-waiting]").hidden = true;
  box.hidden = false;
  box.querySelector("[data-action=refuse]").onclick = () => endLink(section, "notice", `“${offer.label}” was not added. Nothing was signed.`);
  box.querySelector("[data-action=add]").onclick = () => sign(section, held, section.querySelector("[data-link]"), async () => {
    await changeKeys(held.handle, await keystore.loadKey(held.handle),
      (keys) => [...keys, keyEntry({ kid, public: offer.public, label: offer.label })]);
    return `“${offer.label}” is added: it holds a key of ${held.handle} now.`;
  });
}

function endLink(section, kind, text) {
  section.querySelector("[data-link]").hidden = true;
  section.querySelector("[data-action=link]").hidden = false;
  say(section.querySelector("[data-result]"), kind, text);
}

// Sign and post a change the member confirmed; say what happened, and show the keys as they are now.
async function sign(section, held, box, change) {
  const result = section.querySelector("[data-result]");
  for (const button of box.querySelectorAll("button")) button.disabled = true;
  try {
    const done = await change();
    box.hidden = true;
    section.querySelector("[data-action=link]").hidden = false;
    say(result, "done", done);
    await showKeys(section, held);
  } catch (error) {
    say(result, "error", inWords(error));
  } finally {
    for (const button of box.querySelectorAll("button")) button.disabled = false;
  }
}

function copy(template) {
  return document.getElementById(template).content.firstElementChild.cloneNode(true);
}
