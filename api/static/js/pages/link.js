// The new device's side of linking: make a key here, leave its public half and label under the code,
// show its fingerprint for the member to compare, and wait until the other device has added it.

import * as api from "../api.js";
import { BadInput } from "../errors.js";
import { encode } from "../jcs.js";
import * as keystore from "../keystore.js";
import { embedded, fingerprint, inWords, say, secureOrSay } from "../ui.js";

const POLL_MS = 1500;
const inputs = embedded("link-inputs");
const form = document.getElementById("link-form");
const label = document.getElementById("label");
const progress = document.getElementById("progress");
const standingUrl = `/api/v1/device-links/${encodeURIComponent(inputs.code)}`;

if (secureOrSay()) {
  label.value = /Mobi|Android|iPhone/.test(navigator.userAgent) ? "phone" : "laptop";
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    link();
  });
  form.hidden = false;
}

async function link() {
  const button = form.querySelector("button");
  button.disabled = true;
  let key;
  try {
    if (await keystore.loadKey(inputs.handle)) {
      throw new BadInput(`This browser holds a key of ${inputs.handle} already: see it in “Your devices”.`);
    }
    key = await keystore.createKey(inputs.handle, label.value.trim() || "device");
    await api.post(encode({ label: key.label, public: key.public }), standingUrl);
  } catch (error) {
    if (key) await keystore.deleteKey(inputs.handle); // the code did not take it: no device will add it
    button.disabled = false;
    say(progress, "error", inWords(error));
    return;
  }
  form.hidden = true;
  document.querySelector("#compare [data-fingerprint]").textContent = fingerprint(key.kid);
  document.getElementById("compare").hidden = false;
  waitUntilAdded();
}

async function waitUntilAdded() {
  for (;;) {
    let standing;
    try {
      standing = await api.read(standingUrl);
    } catch {
      // The code ended before the other device added this key: the key is of no use, so it goes.
      await keystore.deleteKey(inputs.handle);
      document.getElementById("compare").hidden = true;
      say(progress, "error", "The code ended before your other device added this one. Nothing was changed, and the key made "
        + "here is deleted. Start again with a new code.");
      return;
    }
    if (standing.added) {
      document.getElementById("compare").hidden = true;
      document.getElementById("linked").hidden = false;
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
