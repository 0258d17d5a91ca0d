// QR codes of what a member carries from one screen to another (recovery words, a device link), as SVG.
// The encoder is the vendored qrcode-generator (api/static/vendor/qrcode-generator/, MIT).

import qrcode from "../vendor/qrcode-generator/qrcode.js";

/** Return an SVG drawing of text as a QR code (medium error correction, the smallest version that fits). */
export function qrSvg(text, title) {
  const code = qrcode(0, "M");
  code.addData(text, "Byte");
  code.make();
  return code.createSvgTag({ cellSize: 4, margin: 8, scalable: true, title });
}
