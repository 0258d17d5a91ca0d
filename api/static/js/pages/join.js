// The join page's behaviour: make the device key and the recovery key, sign the claim with the device
// key, post it, then show the recovery words once (on screen, as a QR code, to print, as a file).

import * as api from "../api.js";
import * as keystore from "../keystore.js";
import * as members from "../members.js";
import { newSeed, recoveryKey } from "../recovery.js";
import * as statement from "../statement.js";
import { embedded, inWords, say, secureOrSay } from "../ui.js";
import { toWords, wordList } from "../words.js";
import { qrSvg } from "../qr.js";

const RECOVERY_LABEL = "recovery words";
const inputs = embedded("claim-inputs");
const form = document.getElementById("make-key");
const label = document.getElementById("label");
const progress = document.getElementById("progress");

if (secureOrSay()) {
  label.value = /Mobi|Android|iPhone/.test(navigator.userAgent) ? "phone" : "computer";
  showLabel();
  label.addEventListener("input", showLabel);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    join();
  });
  form.hidden = false;
}

function showLabel() {
  for (const span of form.querySelectorAll("[data-label]")) span.textContent = label.value.trim() || "device";
}

async function join() {
  const button = form.querySelector("button");
  button.disabled = true;
  say(progress, "notice", "Making your keys and signing…");
  const seed = newSeed();
  try {
    const device = await keystore.createKey(inputs.handle, label.value.trim() || "device");
    try {
      await postClaim(device, seed);
    } catch (error) {
      await keystore.deleteKey(inputs.handle); // the node did not take it: a key of no member is of no use
      throw error;
    }
  } catch (error) {
    seed.fill(0);
    button.disabled = false;
    say(progress, "error", inWords(error));
    return;
  }
  await showSheet(seed);
}

// The recovery key's private half signs nothing here (a claim is signed by the device key alone): only its
// public half goes into the record, and the key object is dropped when this function returns.
async function postClaim(device, seed) {
  const rescue = await recoveryKey(seed);
  const fields = members.claimFields(
    inputs.invitation, inputs.code,
    members.keyEntry({ kid: device.kid, public: device.public, label: device.label }),
    members.keyEntry({ kid: rescue.kid, public: rescue.public, label: RECOVERY_LABEL, recovery: true }),
    inputs.current, inputs.current_sha, inputs.last_seq);
  const body = statement.makeBody(members.MEMBER_TYPE, inputs.origin, inputs.handle, inputs.seq, fields);
  return api.post(await statement.sign(body, [device]), "/api/v1/members");
}

async function showSheet(seed) {
  const words = await toWords(seed, await wordList());
  seed.fill(0);
  const sheet = document.getElementById("sheet");
  const list = sheet.querySelector("ol.words");
  for (const word of words) list.append(Object.assign(document.createElement("li"), { textContent: word }));
  sheet.querySelector(".qr").innerHTML = qrSvg(words.join(" "), "Your recovery words as a QR code");
  for (const node of sheet.querySelectorAll("[data-node]")) node.textContent = location.origin;
  const file = URL.createObjectURL(new Blob([sheetText(words)], { type: "text/plain" }));
  document.getElementById("print").onclick = () => print();
  document.getElementById("save").onclick = () => download(file, `recovery-words-${inputs.handle}.txt`);
  const kept = document.getElementById("kept");
  const hide = document.getElementById("hide");
  kept.onchange = () => { hide.disabled = !kept.checked; };
  hide.onclick = () => {
    // Drop every copy this page made: the list, the drawing, the file; the words array goes out of scope.
    list.replaceChildren();
    sheet.querySelector(".qr").replaceChildren();
    URL.revokeObjectURL(file);
    words.fill("");
    sheet.hidden = true;
    document.getElementById("next").hidden = false;
  };
  form.hidden = true;
  document.getElementById("invitation").hidden = true;
  sheet.hidden = false;
  sheet.scrollIntoView();
}

function sheetText(words) {
  return [
    `Recovery words of ${inputs.handle} at ${document.title.split(" · ").pop()} (${location.origin})`,
    "",
    ...words.map((word, i) => `${String(i + 1).padStart(2)}. ${word}`),
    "",
    "Keep these words private. With them you can add a new device and stop a lost one,",
    `at ${location.origin}/recover. They cannot vote or move money.`,
    "",
  ].join("\n");
}

function download(url, name) {
  const link = Object.assign(document.createElement("a"), { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
}
