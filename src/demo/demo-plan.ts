import type { SwarmConfig } from '../config/config-schema.ts';

/**
 * Made-up prices for the demo's made-up model "demo", in dollars per million tokens: the agents'
 * `pricing` turns the tokens their workers report into cost, as for a CLI that reports no dollars.
 */
export const DEMO_PRICING = { inputUsdPerMTok: 2, outputUsdPerMTok: 10 } as const;

/** The model name the demo's workers report, so nobody mistakes the figures for a real bill. */
export const DEMO_MODEL = 'demo';

/** A shell line reporting one step's usage (`::usage`), as an AI agent CLI would; counts may be `$((…))`. */
const usage = (input: number | string, output: number | string): string =>
  `printf '::usage {"input_tokens":%d,"output_tokens":%d,"model":"${DEMO_MODEL}"}\\n' ${input} ${output}`;

/**
 * The demo swarm: three shell agents with different skills and five tasks that show a dependency,
 * a failure that is retried, a question for a person, an artifact, a review and a budget.
 * The agents are ordinary shell commands speaking the worker protocol (see README); each step
 * reports its tokens with `::usage`, priced at DEMO_PRICING, so results, the summary and the board
 * show cost.
 */
export const DEMO_AGENTS: SwarmConfig['agents'] = [
  {
    id: 'designer-001',
    skills: ['design'],
    capacity: 1,
    env: {},
    pricing: DEMO_PRICING,
    command: [
      'echo "::progress 20 sketching shapes"; sleep 0.4',
      'echo "::progress 70 picking colours"; sleep 0.4',
      usage(2400, 610),
      'printf "<svg><!-- a paper plane, teal on white --></svg>\\n" > logo.svg',
      'echo "::artifact logo.svg"',
      'echo "Logo drafted: a paper plane, teal on white."',
    ].join('\n'),
  },
  {
    id: 'coder-001',
    skills: ['code'],
    capacity: 1,
    env: {},
    pricing: DEMO_PRICING,
    command: [
      // The feed task fails on its first attempt (after reading the feed), to show a retry with backoff.
      `case "$SWARM_TASK_BODY" in *flaky*) if [ "$SWARM_ATTEMPT" = "1" ]; then ${usage(1800, 120)}; echo "feed server timed out after 5s" >&2; exit 1; fi;; esac`,
      'echo "::progress 30 writing code"; sleep 0.5',
      usage('$((3000 + 60 * ${#SWARM_TASK_TITLE}))', 1100),
      'echo "::progress 90 running tests"; sleep 0.3',
      usage(5200, 240),
      'echo "Done: $SWARM_TASK_TITLE (attempt $SWARM_ATTEMPT). 12 tests pass."',
    ].join('\n'),
  },
  {
    id: 'writer-001',
    skills: ['docs'],
    capacity: 1,
    env: {},
    pricing: DEMO_PRICING,
    command: [
      'read -r task_json',
      `case "$SWARM_TASK_BODY" in *ask*) ${usage(1500, 60)}; echo "::ask Which tone for the launch post: playful or formal?"; read -r tone;; *) tone=plain;; esac`,
      'echo "::progress 50 drafting in a $tone tone"; sleep 0.4',
      usage('$((2000 + 40 * ${#SWARM_TASK_TITLE}))', 720),
      'echo "Draft ready ($tone): chat-swarm keeps your agents honest."',
    ].join('\n'),
  },
];

/** The chat commands the demo types, in order, as the console user would. */
export const DEMO_COMMANDS: readonly string[] = [
  '/task Sketch the logo skills=design priority=7',
  '/task Build the landing page skills=code after=T-1 budget=$0.50\nUse the logo from T-1.',
  '/task Import the partner feed skills=code attempts=3\nThe feed server is flaky today.',
  '/task Write the launch post skills=docs\nask the humans which tone to use',
  '/task Write the changelog skills=docs review=yes',
];

/** The answer typed for the writer's question when nobody at the keyboard answers in time. */
export const DEMO_ANSWER = 'playful';
