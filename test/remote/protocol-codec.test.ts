import { describe, expect, it } from 'vitest';
import { decodeProtocol, encodeProtocol } from '../../src/remote/protocol-codec.ts';
import { formatTag, parseTag, type ProtocolMessage } from '../../src/remote/protocol-types.ts';

const tag = { taskId: 'T-17', attempt: 3 };

const samples: ProtocolMessage[] = [
  {
    verb: 'hello',
    to: 'swarm_bot',
    agent: 'coder-002',
    capacity: 2,
    free: 1,
    beat: 4,
    skills: ['code', 'docs'],
    held: [{ tag, pct: 40, text: 'rendering' }],
  },
  { verb: 'claim', to: 'swarm_bot', tag, agent: 'coder-002' },
  { verb: 'ask', to: 'swarm_bot', tag, question: 'Which tone: "A" or B?\nreally' },
  { verb: 'result', to: 'swarm_bot', tag, outcome: 'ok', text: 'line 1\n  line 2 ' },
  { verb: 'result', to: 'swarm_bot', tag, outcome: 'ok', bundle: 'T-17-3.result.json' },
  { verb: 'release', to: 'swarm_bot', tag, reason: 'agent stopping' },
  { verb: 'offer', to: 'coder_bot', tag, agent: 'coder-002', title: 'Write the post' },
  {
    verb: 'grant',
    to: 'coder_bot',
    tag,
    agent: 'coder-002',
    leaseMs: 30_000,
    task: {
      title: 'Write',
      body: 'with @alice and `code` and \\ back',
      skills: ['code'],
      notes: ['be brief'],
      timeoutMs: 60_000,
      maxAttempts: 3,
      try: 2,
      review: false,
    },
  },
  { verb: 'taken', to: 'coder_bot', tag, why: 'taken', detail: 'another agent has it' },
  { verb: 'reply', to: 'coder_bot', tag, answer: 'formal' },
  { verb: 'stop', to: 'coder_bot', tag, why: 'cancelled', detail: 'cancelled by alice' },
  { verb: 'ack', to: 'coder_bot', tag, outcome: 'done' },
  { verb: 'refused', to: 'coder_bot', tag, why: 'stale', detail: 'attempt 3 is over' },
  { verb: 'refused', to: 'coder_bot', why: 'bad_message' },
];

describe('protocol codec', () => {
  it('reads tags and refuses look-alikes', () => {
    expect(parseTag('T-17#3')).toEqual(tag);
    expect(formatTag(tag)).toBe('T-17#3');
    for (const bad of ['T-17', '#3', 'T-17#0', 'T-17#-1', '../x#1', 'a..b#2', 'T 17#3', 'T-17#1234567'])
      expect(parseTag(bad), bad).toBeUndefined();
  });

  it.each(samples.map((m) => [m.verb, m] as const))('round-trips %s', (_verb, message) => {
    const text = encodeProtocol(message);
    expect(text.split('\n').length).toBeLessThanOrEqual(2);
    expect(text.startsWith(`/${message.verb}@${message.to}`)).toBe(true);
    const decoded = decodeProtocol(text);
    expect(decoded).toEqual({ ok: true, message });
  });

  it('carries a note people read and programs ignore', () => {
    const text = encodeProtocol({ verb: 'claim', to: 'swarm', tag, agent: 'coder-002' });
    expect(text).toBe('/claim@swarm T-17#3 agent=coder-002 — coder-002 claims T-17 (attempt 3)');
  });

  it('undoes the word joiner Telegram output puts after @', () => {
    const text = encodeProtocol({ verb: 'ask', to: 'swarm', tag, question: 'ask @bob' });
    const sent = text.replace(/(?<![A-Za-z0-9_])@(?=[A-Za-z0-9_])/g, '@\u2060');
    expect(decodeProtocol(sent)).toEqual({
      ok: true,
      message: { verb: 'ask', to: 'swarm', tag, question: 'ask @bob' },
    });
  });

  it('leaves ordinary chat and people commands alone', () => {
    for (const text of ['hello', '/status', '/status@swarm T-1', '/cancel T-1', '', '/claim', '/claim T-1#1'])
      expect(decodeProtocol(text), text).toEqual({ ok: false, reason: 'not_protocol' });
  });

  it('refuses malformed and oversized messages with the reason', () => {
    const bad = [
      '/claim@swarm T-17#3',
      '/claim@swarm T-17#3 agent=Coder',
      '/claim@swarm T-17#3 agent=coder-002 color=red',
      '/claim@swarm nonsense agent=x',
      '/ask@swarm T-17#3\nnot json',
      '/ask@swarm T-17#3\n[1,2]',
      '/ask@swarm T-17#3\n{"question":"a"}\n{"question":"b"}',
      '/ask@swarm T-17#3\n{"tag":"T-1#1","question":"a"}',
      '/hello@swarm agent=a capacity=0 free=0 beat=1\n{"skills":[],"held":[]}',
      '/result@swarm T-17#3 outcome=maybe',
      '/grant@x T-1#1 agent=a leaseMs=5\n{}',
    ];
    for (const text of bad) {
      const r = decodeProtocol(text);
      expect(r.ok, text).toBe(false);
      if (!r.ok) expect(r.reason, text).toBe('malformed');
    }
    const huge = decodeProtocol(`/ask@swarm T-1#1\n${JSON.stringify({ question: 'x'.repeat(9_000) })}`);
    expect(huge).toMatchObject({ ok: false, reason: 'oversized' });
  });

  it('never throws, whatever the text', () => {
    const pieces = [
      '/',
      'claim',
      '@',
      'swarm',
      ' ',
      'T-1#1',
      '=',
      'agent',
      '\n',
      '{',
      '}',
      '"',
      '—',
      '\u0000',
      '🙂',
    ];
    let seed = 7;
    for (let i = 0; i < 3_000; i++) {
      let text = '';
      const n = (seed = (seed * 1103515245 + 12345) % 2 ** 31) % 12;
      for (let j = 0; j < n; j++)
        text += pieces[(seed = (seed * 1103515245 + 12345) % 2 ** 31) % pieces.length];
      expect(() => decodeProtocol(text)).not.toThrow();
    }
  });
});
