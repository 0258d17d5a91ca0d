// Recovery: the 24 words rebuild the member's recovery key; this device makes a new key of its own; the
// recovery key signs the record that adds it and stops the keys the member chose (by default every
// other device key). The recovery key may sign nothing else, and it is dropped once it has signed.

import * as api from "../api.js";
import { ApiError, BadInput } from "../errors.js";
import { changeKeys } from "../keychange.js";
import * as keystore from "../keystore.js";
import { keyEntry, revoked } from "../members.js";
import { recoveryKey } from "../recovery.js";
import { fingerprint, inWords, say, secureOrSay } from "../ui.js";
import { fromWords, wordList } from "../words.js";

const words = document.getElementById("recover-form");
const choose = document.getElementById("choose");
const label = document.getElementById("label");
const wordsResult = document.getElementById("words-result");
const result = document.getElementById("result");
let found = null; // {handle, rescue, keys} once the words check out; dropped after signing

if (secureOrSay()) {
  label.value = /Mobi|Android|iPhone/.test(navigator.userAgent) ? "phone" : "laptop";
  words.addEventListener("submit", (event) => {
    event.preventDefault();
    check();
  });
  choose.addEventListener("input", showSentence);
  choose.addEventListener("submit", (event) => {
    event.preventDefault();
    recover();
  });
  words.hidden = false;
}

async function check() {
  const handle = document.getElementById("handle").value.trim().toLowerCase();
  try {
    const seed = await fromWords(document.getElementById("words").value, await wordList());
    const rescue = await recoveryKey(seed);
    seed.fill(0);
    const member = await memberOrSay(handle);
    if (!member.keys.some((key) => key.recovery && key.kid === rescue.kid && key.revoked_after === undefined)) {
      throw new BadInput(`These are not the recovery words of ${handle}: they make another key. Check the name, and each word.`);
    }
    found = { handle, rescue, keys: member.keys };
  } catch (error) {
    say(wordsResult, "error", inWords(error));
    return;
  }
  document.getElementById("words").value = "";
  words.hidden = true;
  say(wordsResult, "done", `These are the recovery words of ${handle}.`);
  showDevices(found.keys.filter((key) => !key.recovery));
  choose.hidden = false;
}

async function memberOrSay(handle) {
  try {
    return await api.read(`/api/v1/members/${encodeURIComponent(handle)}`);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) throw new BadInput(`There is no member called “${handle}” here.`);
    throw error;
  }
}

// Every device key that still works is ticked: on a new device after a loss, the old ones are the lost ones.
function showDevices(devices) {
  const box = choose.querySelector("[data-keys]");
  box.replaceChildren(...devices.map((key) => {
    const row = document.createElement("label");
    row.className = "choice";
    const tick = Object.assign(document.createElement("input"), { type: "checkbox", value: key.kid });
    tick.checked = key.revoked_after === undefined;
    tick.disabled = key.revoked_after !== undefined;
    const stopped = key.revoked_after === undefined ? "" : ` (stopped already, after statement ${key.revoked_after})`;
    row.append(tick, ` ${key.label ?? "a key with no name"}: ${fingerprint(key.kid)}${stopped}`);
    return row;
  }));
  if (!devices.length) box.textContent = "Your record lists no device key.";
  showSentence();
}

function stopping() {
  const kids = [...choose.querySelectorAll("[data-keys] input:checked:not(:disabled)")].map((tick) => tick.value);
  return found.keys.filter((key) => kids.includes(key.kid));
}

function showSentence() {
  const names = stopping().map((key) => `“${key.label ?? "a key with no name"}”`);
  choose.querySelector("[data-sentence]").textContent = `I am ${found.handle}. Add the key of this device, `
    + `“${label.value.trim() || "device"}”. ${names.length ? `Stop the keys of: ${names.join(", ")}.` : "Stop no key."} `
    + "A recovery key can only add and stop keys: it cannot vote, apply for work or move money.";
}

async function recover() {
  const button = choose.querySelector("button");
  button.disabled = true;
  const { handle, rescue } = found;
  const stops = stopping();
  let device;
  try {
    await forgetStaleKey(handle);
    device = await keystore.createKey(handle, label.value.trim() || "device");
    const receipt = await changeKeys(handle, rescue, (keys, lastSeq) => [
      ...keys.map((key) => (stops.some((stop) => stop.kid === key.kid) ? revoked(key, lastSeq) : key)),
      keyEntry({ kid: device.kid, public: device.public, label: device.label }),
    ]);
    found = null; // the recovery key has signed: nothing here holds it any more
    choose.hidden = true;
    const stopped = stops.length ? ` Stopped: ${stops.map((key) => `“${key.label ?? key.kid}”`).join(", ")}, from statement ${receipt.seq} on.` : "";
    say(result, "done", `Done. This device, “${device.label}”, holds a key of ${handle} now.${stopped}`);
    document.getElementById("recovered").hidden = false;
  } catch (error) {
    if (device) await keystore.deleteKey(handle);
    button.disabled = false;
    say(result, "error", inWords(error));
  }
}

// A key this browser kept of the member that the record no longer lets sign (stopped, or never added) is of
// no use; a working one means there is nothing to recover here.
async function forgetStaleKey(handle) {
  const old = await keystore.loadKey(handle);
  if (!old) return;
  if (found.keys.some((key) => key.kid === old.kid && key.revoked_after === undefined)) {
    throw new BadInput(`This browser holds a working key of ${handle} already: see it in “Your devices”.`);
  }
  await keystore.deleteKey(handle);
}
