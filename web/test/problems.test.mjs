// Every code of a validation problem the server can send (qala_core::ProblemCode) has words in
// kk/ru/en, and the mapper's report shows them by code, not by matching the English text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DICT, LANGS } from '../src/i18n.js';

const src = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../../crates/qala-core/src/problem_code.rs'), 'utf8');
const CODES = [...src.matchAll(/ProblemCode::\w+ => "([a-z_]+)"/g)].map((m) => m[1]);

test('the server\'s problem codes are read from the Rust source', () => {
  assert.ok(CODES.length >= 20, `found ${CODES.length}`);
  assert.ok(CODES.includes('not_int') && CODES.includes('no_geometry'));
});

test('every problem code has words in every language', () => {
  for (const l of LANGS) for (const c of CODES) assert.ok(DICT[l][`problem_${c}`], `${l}: problem_${c}`);
});
