// The exporter's identity stamp: From: and a Signed-off-by of whoever
// exports, with the trailer where git's own tools put it.
import { describe, expect, it } from 'vitest';
import { stampIdentity } from '../../tools/patches/export.js';

const who = 'A Developer <dev@example.org>';

function patch(message: string): string {
  return `From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\nFrom: Someone Else <else@example.org>\nSubject: [PATCH] x: y\n\n${message}\n---\n a | 1 +\n`;
}

describe('stampIdentity', () => {
  it('starts a trailer block after a blank line when the message has none', () => {
    const out = stampIdentity(patch('Body line one.\nBody line two.'), who);
    expect(out).toContain(`Body line two.\n\nSigned-off-by: ${who}\n---\n`);
    expect(out).toMatch(new RegExp(`^From: ${who}$`, 'm'));
  });

  it('joins an existing trailer block', () => {
    const out = stampIdentity(patch('Body.\n\nReviewed-by: R <r@example.org>'), who);
    expect(out).toContain(`Reviewed-by: R <r@example.org>\nSigned-off-by: ${who}\n---\n`);
  });

  it("replaces the previous author's sign-off instead of adding a second one", () => {
    const out = stampIdentity(patch('Body.\n\nSigned-off-by: Someone Else <else@example.org>'), who);
    expect(out).toContain(`Body.\n\nSigned-off-by: ${who}\n---\n`);
    expect(out.match(/Signed-off-by:/g)).toHaveLength(1);
  });
});
