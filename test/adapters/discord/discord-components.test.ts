import { describe, expect, it } from 'vitest';
import { toDiscordCommands } from '../../../adapters/discord/discord-app-commands.ts';
import { toDiscordComponents, toModal } from '../../../adapters/discord/discord-components.ts';
import { actionsFor } from '../../../src/chat/task-actions.ts';
import { NATIVE_COMMANDS } from '../../../src/commands/native-commands.ts';
import type { Task } from '../../../src/core/types.ts';
import { readButtons, readModal } from '../../fakes/discord/fake-components.ts';
import { registerCommands, type CommandRegistry } from '../../fakes/discord/fake-app-commands.ts';

describe('discord components and commands', () => {
  it('maps task actions to buttons the fake accepts, within Discord’s limits', () => {
    const actions = actionsFor({ id: 'T-3', status: 'review' } as Task, 'a1');
    const rows = toDiscordComponents(actions);
    expect(rows).toEqual([
      {
        type: 1,
        components: [
          { type: 2, style: 3, label: '✅ Approve', custom_id: 'ts1:a:T-3:a1' },
          { type: 2, style: 4, label: '↩️ Reject', custom_id: 'ts1:j:T-3:a1' },
        ],
      },
    ]);
    expect(readButtons(rows).ok).toBe(true);
    const many = Array.from({ length: 30 }, (_, i) => ({
      ...actions[0]!,
      data: `d${i}`,
      label: 'x'.repeat(120),
    }));
    const capped = toDiscordComponents(many);
    expect(capped).toHaveLength(5);
    expect(readButtons(capped).ok).toBe(true);
    expect(toDiscordComponents([])).toEqual([]);
  });

  it('builds a modal the fake accepts, with long titles shortened to 45 characters', () => {
    const modal = toModal('ts1:j:T-3:a1', {
      title: `Reject ${'ORA-'.repeat(20)}`,
      label: 'Feedback for the next attempt',
    });
    const read = readModal(modal);
    expect(read.ok).toBe(true);
    if (read.ok) expect(read.value.title.length).toBeLessThanOrEqual(45);
  });

  it('maps the native commands to a bulk overwrite the fake validates like Discord', () => {
    const body = toDiscordCommands(NATIVE_COMMANDS);
    const registry: CommandRegistry = {
      commands: new Map(),
      createsToday: new Map(),
      writes: [],
      overwrites: 0,
    };
    let id = 1;
    const reply = registerCommands(registry, 'app:guild', body, () => String(id++), 'app', 'guild', 0);
    expect(reply.status).toBe(200);
    const task = body.find((c) => c.name === 'task') as { options: Array<Record<string, unknown>> };
    expect(task.options[0]).toMatchObject({ name: 'title', type: 3, required: true, max_length: 200 });
    expect(task.options.find((o) => o.name === 'priority')).toMatchObject({
      type: 4,
      min_value: 0,
      max_value: 9,
    });
    const cancel = body.find((c) => c.name === 'cancel') as { options: Array<Record<string, unknown>> };
    expect(cancel.options[0]).toMatchObject({ name: 'task', autocomplete: true });
    // Overwriting with the same names creates nothing new; the daily limit counts creates only.
    registerCommands(registry, 'app:guild', body, () => String(id++), 'app', 'guild', 0);
    expect([...registry.createsToday.values()]).toEqual([NATIVE_COMMANDS.length]);
  });

  it('the fake refuses commands Discord would refuse', () => {
    const registry: CommandRegistry = {
      commands: new Map(),
      createsToday: new Map(),
      writes: [],
      overwrites: 0,
    };
    const put = (body: unknown) => registerCommands(registry, 'a:g', body, () => '1', 'a', 'g', 0).status;
    expect(put([{ name: 'Task', description: 'x' }])).toBe(400);
    expect(put([{ name: 'task', description: '' }])).toBe(400);
    expect(
      put([
        {
          name: 'task',
          description: 'x',
          options: [
            { name: 'a', description: 'x', type: 3, required: false },
            { name: 'b', description: 'x', type: 3, required: true },
          ],
        },
      ]),
    ).toBe(400);
    const many = Array.from({ length: 100 }, (_, i) => ({ name: `c${i}`, description: 'x' }));
    expect(put(many)).toBe(200);
    expect(put(many.map((c) => ({ ...c, name: `${c.name}x` })))).toBe(200);
    expect(put(many.map((c) => ({ ...c, name: `${c.name}y` })))).toBe(429);
  });
});
