/**
 * Message components and modals in the fake Discord, validated as Discord documents them: up to 5
 * action rows of up to 5 buttons, a button's label up to 80 characters and custom_id up to 100;
 * a modal's title up to 45 characters with 1–5 rows of one text input each (label up to 45,
 * max_length up to 4000). A bad one is refused with 50035 naming the field.
 * @see https://discord.com/developers/docs/components/reference
 * @see https://discord.com/developers/docs/interactions/receiving-and-responding#interaction-response-object-modal
 */
import { invalidField, type FakeReply } from './fake-api-error.ts';

/** A button as stored on a message. */
export interface FakeButton {
  label: string;
  customId: string;
  style: number;
}

/** A modal as a person sees it after pressing a button. */
export interface FakeModal {
  customId: string;
  title: string;
  inputs: Array<{ customId: string; label: string; style: number; required: boolean; maxLength: number }>;
}

export const COMPONENT_LIMITS = {
  rows: 5,
  buttonsPerRow: 5,
  labelChars: 80,
  customIdChars: 100,
  modalTitleChars: 45,
  inputLabelChars: 45,
  inputMaxLength: 4_000,
} as const;

type Parsed<T> = { ok: true; value: T } | { ok: false; reply: FakeReply };

const bad = (field: string, code: string, message: string): Parsed<never> => ({
  ok: false,
  reply: invalidField(field, code, message),
});

/** Reads `components` of a message create or edit: rows of buttons with custom ids. */
export function readButtons(raw: unknown): Parsed<FakeButton[][]> {
  if (!Array.isArray(raw))
    return bad('components', 'MODEL_TYPE_CONVERT', 'Only iterables may be used in a ListType');
  if (raw.length > COMPONENT_LIMITS.rows)
    return bad(
      'components',
      'BASE_TYPE_BAD_LENGTH',
      `Must be between 0 and ${COMPONENT_LIMITS.rows} in length.`,
    );
  const rows: FakeButton[][] = [];
  const ids = new Set<string>();
  for (const [r, row] of raw.entries()) {
    const rowObj = (row ?? {}) as { type?: unknown; components?: unknown };
    if (rowObj.type !== 1 || !Array.isArray(rowObj.components))
      return bad(`components.${r}`, 'UNION_TYPE_CHOICES', 'Value of field "type" must be one of (1,).');
    const buttons = rowObj.components as unknown[];
    if (buttons.length < 1 || buttons.length > COMPONENT_LIMITS.buttonsPerRow)
      return bad(`components.${r}.components`, 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 5 in length.');
    const out: FakeButton[] = [];
    for (const [b, button] of buttons.entries()) {
      const field = `components.${r}.components.${b}`;
      const x = (button ?? {}) as { type?: unknown; label?: unknown; custom_id?: unknown; style?: unknown };
      if (x.type !== 2) return bad(field, 'COMPONENT_TYPE_INVALID', 'Only buttons are modelled by the fake.');
      if (typeof x.style !== 'number' || x.style < 1 || x.style > 4)
        return bad(`${field}.style`, 'BASE_TYPE_CHOICES', 'Value must be one of (1, 2, 3, 4).');
      if (typeof x.label !== 'string' || x.label.length < 1 || x.label.length > COMPONENT_LIMITS.labelChars)
        return bad(`${field}.label`, 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 80 in length.');
      if (
        typeof x.custom_id !== 'string' ||
        x.custom_id.length < 1 ||
        x.custom_id.length > COMPONENT_LIMITS.customIdChars
      )
        return bad(`${field}.custom_id`, 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.');
      if (ids.has(x.custom_id))
        return bad(
          `${field}.custom_id`,
          'COMPONENT_CUSTOM_ID_DUPLICATED',
          'Component custom id cannot be duplicated',
        );
      ids.add(x.custom_id);
      out.push({ label: x.label, customId: x.custom_id, style: x.style });
    }
    rows.push(out);
  }
  return { ok: true, value: rows };
}

/** The `components` JSON of a message. */
export function toApiComponents(rows: readonly FakeButton[][]): unknown[] {
  return rows.map((row) => ({
    type: 1,
    components: row.map((b) => ({ type: 2, style: b.style, label: b.label, custom_id: b.customId })),
  }));
}

/** Reads the `data` of a MODAL interaction response. */
export function readModal(raw: unknown): Parsed<FakeModal> {
  const d = (raw ?? {}) as { custom_id?: unknown; title?: unknown; components?: unknown };
  if (
    typeof d.custom_id !== 'string' ||
    d.custom_id.length < 1 ||
    d.custom_id.length > COMPONENT_LIMITS.customIdChars
  )
    return bad('data.custom_id', 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.');
  if (typeof d.title !== 'string' || d.title.length < 1 || d.title.length > COMPONENT_LIMITS.modalTitleChars)
    return bad('data.title', 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 45 in length.');
  if (!Array.isArray(d.components) || d.components.length < 1 || d.components.length > COMPONENT_LIMITS.rows)
    return bad('data.components', 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 5 in length.');
  const inputs: FakeModal['inputs'] = [];
  for (const [r, row] of (d.components as unknown[]).entries()) {
    const rowObj = (row ?? {}) as { type?: unknown; components?: unknown };
    const input =
      Array.isArray(rowObj.components) && rowObj.components.length === 1 ? rowObj.components[0] : undefined;
    const x = (input ?? {}) as Record<string, unknown>;
    const field = `data.components.${r}.components.0`;
    if (rowObj.type !== 1 || x.type !== 4)
      return bad(field, 'COMPONENT_TYPE_INVALID', 'A modal row holds one text input.');
    if (
      typeof x.custom_id !== 'string' ||
      x.custom_id.length < 1 ||
      x.custom_id.length > COMPONENT_LIMITS.customIdChars
    )
      return bad(`${field}.custom_id`, 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.');
    if (
      typeof x.label !== 'string' ||
      x.label.length < 1 ||
      x.label.length > COMPONENT_LIMITS.inputLabelChars
    )
      return bad(`${field}.label`, 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 45 in length.');
    if (x.style !== 1 && x.style !== 2)
      return bad(`${field}.style`, 'BASE_TYPE_CHOICES', 'Value must be one of (1, 2).');
    const maxLength = x.max_length === undefined ? COMPONENT_LIMITS.inputMaxLength : x.max_length;
    if (typeof maxLength !== 'number' || maxLength < 1 || maxLength > COMPONENT_LIMITS.inputMaxLength)
      return bad(`${field}.max_length`, 'NUMBER_TYPE_MAX', 'int value should be less than or equal to 4000.');
    inputs.push({
      customId: x.custom_id,
      label: x.label,
      style: x.style,
      required: x.required !== false,
      maxLength,
    });
  }
  return { ok: true, value: { customId: d.custom_id, title: d.title, inputs } };
}
