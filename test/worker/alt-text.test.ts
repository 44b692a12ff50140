// Alt-text rules on captions of the kinds Florence-2 writes (short captions, "The image shows ..." detailed
// captions), plus special-token noise as the synthetic models produce.
import { describe, expect, it } from "vitest";
import { altTextFromCaption, plainText } from "../../worker/alt-text";

describe("altTextFromCaption", () => {
  it.each([
    [
      "A green car parked in front of a yellow building.",
      "A green car parked in front of a yellow building.",
    ],
    ["an image of a cat sitting on a sofa", "A cat sitting on a sofa."],
    ["A photo of two dogs playing in the snow", "Two dogs playing in the snow."],
    ["Picture of a red apple on a table.", "A red apple on a table."],
    ["The image shows a man riding a bicycle down a street.", "A man riding a bicycle down a street."],
    ["The image is a close-up of a flower.", "A close-up of a flower."],
    ["In this image, a woman holds an umbrella", "A woman holds an umbrella."],
    ["This is an image of a bridge at night!", "A bridge at night."],
    ["  <s>a  bowl of\\nsoup</s> ", "A bowl of\\nsoup."],
    ["a dog<loc_12><loc_40> on grass<pad>", "A dog on grass."],
  ])("%j → %j", (caption, alt) => {
    expect(altTextFromCaption(caption)).toBe(alt);
  });

  it("keeps one sentence without detail, several that fit with detail", () => {
    const caption =
      "The image shows a kitchen with white cabinets. There is a bowl of fruit on the counter. A window lets in light.";
    expect(altTextFromCaption(caption)).toBe("A kitchen with white cabinets.");
    expect(altTextFromCaption(caption, { detail: true })).toBe(
      "A kitchen with white cabinets. There is a bowl of fruit on the counter. A window lets in light.",
    );
    const two = "A kitchen with white cabinets. There is a bowl of fruit on the counter.";
    expect(altTextFromCaption(caption, { detail: true, maxLength: two.length })).toBe(two);
    expect(altTextFromCaption(caption, { detail: true, maxLength: two.length - 1 })).toBe(
      "A kitchen with white cabinets.",
    );
  });

  it("cuts a long sentence at a word boundary, without a dangling article or preposition, within max_length", () => {
    const caption =
      "A large group of people standing on a beach next to the ocean with surfboards and umbrellas in the afternoon sun";
    for (const maxLength of [16, 30, 47, 60, 125]) {
      const alt = altTextFromCaption(caption, { maxLength });
      expect(alt.length).toBeLessThanOrEqual(maxLength);
      expect(alt).toMatch(/^A [a-z ]*[a-z]\.$/);
      expect(alt).not.toMatch(/\b(a|the|of|on|to|with|and|in)\.$/);
      expect(caption.startsWith(alt.slice(0, -1))).toBe(true);
    }
    expect(altTextFromCaption(caption, { maxLength: 47 })).toBe(
      "A large group of people standing on a beach.",
    );
  });

  it("cuts inside a single overlong word rather than return nothing", () => {
    expect(altTextFromCaption("Supercalifragilisticexpialidocious", { maxLength: 16 })).toBe(
      "Supercalifragil.",
    );
  });

  it("returns an empty string when nothing but tokens remains", () => {
    expect(altTextFromCaption("<unk><loc_1><loc_2></s>")).toBe("");
    expect(plainText("<od>x</od>  y")).toBe("x y");
  });
});
