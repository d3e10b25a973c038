/**
 * A message's actions as Discord components (buttons in action rows), and the modal a button that
 * needs text opens. Pure, so the limits are tested without a socket: at most 5 rows of 5 buttons,
 * labels up to 80 characters, custom ids up to 100; modal titles and field labels up to 45.
 * @see https://discord.com/developers/docs/components/reference#button
 * @see https://discord.com/developers/docs/interactions/receiving-and-responding#interaction-response-object-modal
 */
import type { MessageAction } from '../../src/chat/chat-port.ts';

const LIMITS = {
  rows: 5,
  perRow: 5,
  label: 80,
  customId: 100,
  modalTitle: 45,
  inputLabel: 45,
  inputMax: 4_000,
} as const;

const STYLE: Record<MessageAction['style'], number> = { primary: 1, secondary: 2, success: 3, danger: 4 };

/** The custom id of a modal's only text field. */
export const MODAL_TEXT_ID = 'text';

function clip(text: string, max: number): string {
  const chars = [...text.replace(/\s+/g, ' ').trim()];
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : chars.join('');
}

/** Action rows for a message's buttons: `[]` for none (which removes them on an edit). */
export function toDiscordComponents(actions: readonly MessageAction[]): unknown[] {
  const usable = actions
    .filter((a) => a.data.length >= 1 && a.data.length <= LIMITS.customId && a.label.trim() !== '')
    .slice(0, LIMITS.rows * LIMITS.perRow);
  const rows: unknown[] = [];
  for (let i = 0; i < usable.length; i += LIMITS.perRow) {
    rows.push({
      type: 1,
      components: usable.slice(i, i + LIMITS.perRow).map((a) => ({
        type: 2,
        style: STYLE[a.style],
        label: clip(a.label, LIMITS.label),
        custom_id: a.data,
      })),
    });
  }
  return rows;
}

/** The MODAL response for a button that needs text; its custom id is the button's. */
export function toModal(customId: string, asks: { title: string; label: string }): Record<string, unknown> {
  return {
    custom_id: customId,
    title: clip(asks.title, LIMITS.modalTitle),
    components: [
      {
        type: 1,
        components: [
          {
            type: 4,
            custom_id: MODAL_TEXT_ID,
            label: clip(asks.label, LIMITS.inputLabel),
            style: 2,
            min_length: 1,
            max_length: LIMITS.inputMax,
            required: true,
          },
        ],
      },
    ],
  };
}
