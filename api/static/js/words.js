// Recovery words: the 32-byte seed of a recovery key as 24 words of the BIP39 English list, and back.
//
// BIP39 is what paper wallets use: the seed's 256 bits and 8 bits of its SHA-256 are cut into 24
// groups of 11 bits, each a word of a list of 2048. The checksum catches a wrong or swapped word,
// and each word is unique in its first four letters, so a word cut short still reads back. The list
// is the `mnemonic` package's own file, served by the node (api/http/keys.py); tests/browser holds
// these words to the ones that package makes.

import { BadInput } from "./errors.js";

export const WORD_LIST_URL = "/words/english.txt";
export const WORD_COUNT = 24;
const SEED_BYTES = 32;
const BITS_PER_WORD = 11;
const UNIQUE_PREFIX = 4;

/** Fetch the 2048 words (once per page) in their order. */
export async function wordList() {
  const response = await fetch(WORD_LIST_URL);
  if (!response.ok) throw new Error(`the word list did not load (${response.status})`);
  const words = (await response.text()).split("\n").map((word) => word.trim()).filter(Boolean);
  if (words.length !== 2 ** BITS_PER_WORD) throw new Error(`the word list has ${words.length} words, not 2048`);
  return words;
}

/** Return the 24 words of a 32-byte seed. */
export async function toWords(seed, words) {
  if (seed.length !== SEED_BYTES) throw new Error(`a recovery seed is ${SEED_BYTES} bytes`);
  const bits = [...bitsOf(seed), ...bitsOf(await checksum(seed))].slice(0, WORD_COUNT * BITS_PER_WORD);
  return Array.from({ length: WORD_COUNT }, (_, i) => words[numberOf(bits.slice(i * BITS_PER_WORD, (i + 1) * BITS_PER_WORD))]);
}

/**
 * Return the seed that words as a person typed them stand for, or throw BadInput saying which word is wrong.
 *
 * Tolerant of case, extra spaces, commas, line breaks and the numbers of a printed sheet ("1. abandon").
 */
export async function fromWords(text, words) {
  const typed = text.toLowerCase().split(/[\s,;]+/).map((token) => token.replace(/^\d+[.)]?$/, "")).filter(Boolean);
  if (typed.length !== WORD_COUNT) {
    throw new BadInput(`You typed ${typed.length} words. A recovery sheet has ${WORD_COUNT}.`);
  }
  const bits = typed.flatMap((word, i) => bitsOfNumber(indexOf(word, i + 1, words), BITS_PER_WORD));
  const seed = bytesOf(bits.slice(0, SEED_BYTES * 8));
  const expected = bitsOf(await checksum(seed)).slice(0, bits.length - SEED_BYTES * 8);
  if (expected.some((bit, i) => bit !== bits[SEED_BYTES * 8 + i])) {
    throw new BadInput("Each word is a real word, but together they do not fit: one is wrong or in the wrong place. "
      + "Check them one by one against your sheet.");
  }
  return seed;
}

// A word as typed is the list's word it spells, or the one word it begins (four letters or more).
function indexOf(word, number, words) {
  const exact = words.indexOf(word);
  if (exact >= 0) return exact;
  const begun = word.length >= UNIQUE_PREFIX ? words.filter((candidate) => candidate.startsWith(word)) : [];
  if (begun.length === 1) return words.indexOf(begun[0]);
  throw new BadInput(`Word ${number}, "${word}", is not a recovery word. Check its spelling on your sheet.`);
}

async function checksum(seed) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", seed));
}

function bitsOf(bytes) {
  return Array.from(bytes).flatMap((byte) => bitsOfNumber(byte, 8));
}

function bitsOfNumber(value, width) {
  return Array.from({ length: width }, (_, i) => (value >> (width - 1 - i)) & 1);
}

function numberOf(bits) {
  return bits.reduce((value, bit) => value * 2 + bit, 0);
}

function bytesOf(bits) {
  return Uint8Array.from({ length: bits.length / 8 }, (_, i) => numberOf(bits.slice(i * 8, i * 8 + 8)));
}
