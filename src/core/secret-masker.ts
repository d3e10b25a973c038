/**
 * Masks secrets in text before it is stored, posted or logged. Two layers: the exact values of the
 * secrets the swarm knows (its bot tokens, the audit key, …), shown as `[masked NAME]`, and token
 * shapes that are always on (a Telegram or Discord bot token, common API keys), shown as `[masked token]`.
 */

/** A secret the swarm knows by value, named by where it came from (usually its environment variable). */
export interface NamedSecret {
  name: string;
  value: string;
}

/**
 * Shorter values are not masked by value: a 4-character password would turn every word containing
 * it into `[masked …]`. Token shapes still apply to them.
 */
export const MIN_SECRET_CHARS = 8;

/** Environment variables whose values are masked even when no config names them. */
export const DEFAULT_SECRET_ENV = ['TELEGRAM_BOT_TOKEN', 'DISCORD_BOT_TOKEN', 'SWARM_AUDIT_KEY'] as const;

/**
 * Names that read as a credential (`OPENAI_API_KEY`, `GITHUB_TOKEN`, `AWS_SECRET_ACCESS_KEY`, `DB_PASSWORD`):
 * an agent CLI often needs one passed through, and a worker that prints its environment would show it.
 */
export const SECRET_ENV_NAME = /TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|ACCESS_KEY|PRIVATE_KEY|AUDIT_KEY/i;
/** …except those that name where a secret is kept (`PASSWORD_STORE_DIR`, `GITHUB_TOKEN_FILE`), not the secret. */
const SECRET_LOCATION_NAME = /_(?:DIR|FILE|PATH|HOME|URL)$/i;

/** No token character right before: a shape must start where the token starts. */
const B = '(?<![A-Za-z0-9_-])';
/** …nor right after. */
const E = '(?![A-Za-z0-9_-])';

/**
 * Token shapes, kept narrow so ordinary text is left alone: a fixed prefix, or the exact structure
 * of a platform's token. Each pattern is global and linear on long inputs (bounded repeats only
 * before a fixed character).
 * @see https://core.telegram.org/bots/features#botfather (`123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11`)
 * @see https://github.blog/changelog/2021-03-31-authentication-token-format-updates-are-generally-available
 */
export const TOKEN_SHAPES: readonly RegExp[] = [
  // Telegram bot token: the bot's numeric id, a colon, 35 url-safe characters. No leading boundary
  // on the letters side: Telegram's URLs put it right after `bot`.
  /(?<!\d)\d{5,12}:[A-Za-z0-9_-]{30,}/g,
  // Discord bot token: base64 of the bot's snowflake id (starts M, N or O), a timestamp, an HMAC.
  new RegExp(`${B}[MNO][A-Za-z0-9_-]{22,27}\\.[A-Za-z0-9_-]{6,10}\\.[A-Za-z0-9_-]{25,}`, 'g'),
  // JSON Web Token: base64url of `{"…` twice, then a signature.
  new RegExp(`${B}eyJ[A-Za-z0-9_-]{8,}\\.eyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{16,}`, 'g'),
  // OpenAI / Anthropic style `sk-…` (`sk-proj-…`, `sk-ant-api03-…`): long and with a digit somewhere.
  new RegExp(`${B}sk-(?=[A-Za-z0-9_-]{0,200}\\d)[A-Za-z0-9_-]{20,}`, 'g'),
  // Stripe secret and restricted keys.
  new RegExp(`${B}[sr]k_(?:live|test)_[A-Za-z0-9]{16,}`, 'g'),
  // GitHub: classic and app tokens, fine-grained personal access tokens.
  new RegExp(`${B}gh[pousr]_[A-Za-z0-9]{30,}`, 'g'),
  new RegExp(`${B}github_pat_[A-Za-z0-9_]{30,}`, 'g'),
  // GitLab personal access token, npm token, Hugging Face token.
  new RegExp(`${B}glpat-[A-Za-z0-9_-]{20,}`, 'g'),
  new RegExp(`${B}npm_[A-Za-z0-9]{36}${E}`, 'g'),
  new RegExp(`${B}hf_[A-Za-z0-9]{30,}`, 'g'),
  // Slack bot, user, app and refresh tokens.
  new RegExp(`${B}(?:xox[abeoprs]|xapp)-[A-Za-z0-9-]{10,}`, 'g'),
  // AWS access key id (the secret half has no shape; it is masked by value when configured).
  /(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])/g,
  // Google API key.
  new RegExp(`${B}AIza[A-Za-z0-9_-]{35}${E}`, 'g'),
];

export const MASKED_TOKEN = '[masked token]';

const PEM_BEGIN = /-----BEGIN [A-Z ]{0,40}PRIVATE KEY-----/g;

/**
 * Masks PEM private key blocks whole, from BEGIN to the end of the END line, or to the end of the
 * text when the output was cut before END. Done with `indexOf` rather than a lazy regex, which
 * would cost quadratic time on many BEGIN lines without an END.
 */
function maskPrivateKeys(text: string): string {
  if (!text.includes('PRIVATE KEY-----')) return text;
  let out = '';
  let from = 0;
  for (const m of text.matchAll(PEM_BEGIN)) {
    if (m.index < from) continue;
    const end = text.indexOf('-----END ', m.index + m[0].length);
    const close = end < 0 ? -1 : text.indexOf('-----', end + 9);
    out += text.slice(from, m.index) + MASKED_TOKEN;
    from = close < 0 ? text.length : close + 5;
  }
  return out + text.slice(from);
}

/** Masks every token-shaped string and private key block, whatever its value. */
export function maskTokenShapes(text: string): string {
  let out = maskPrivateKeys(text);
  for (const shape of TOKEN_SHAPES) out = out.replace(shape, MASKED_TOKEN);
  return out;
}

/** The spellings of a value a worker or a library is likely to print: as is, trimmed, URL- and JSON-escaped. */
function spellings(value: string): string[] {
  const trimmed = value.trim();
  return [
    ...new Set([value, trimmed, encodeURIComponent(trimmed), JSON.stringify(trimmed).slice(1, -1)]),
  ].filter((s) => s.length >= MIN_SECRET_CHARS);
}

/** Masks known secret values and token shapes; one per ledger, logger or process. */
export class SecretMasker {
  /** Longest first, so a secret that contains another is masked whole. */
  private readonly known: readonly { spelling: string; label: string }[];

  constructor(secrets: readonly NamedSecret[] = []) {
    const known: { spelling: string; label: string }[] = [];
    for (const s of secrets)
      for (const spelling of spellings(s.value)) known.push({ spelling, label: `[masked ${s.name}]` });
    this.known = known.sort((a, b) => b.spelling.length - a.spelling.length);
  }

  /** How many distinct spellings of known values it masks (0: token shapes only). */
  get knownCount(): number {
    return this.known.length;
  }

  /** The text with every known secret value and every token shape replaced by a `[masked …]` label. */
  mask(text: string): string {
    let out = text;
    for (const { spelling, label } of this.known)
      if (out.includes(spelling)) out = out.split(spelling).join(label);
    return maskTokenShapes(out);
  }
}

/** Masks token shapes only: for code that has no configured secrets at hand. */
export const shapeMasker = new SecretMasker();

/**
 * The secrets in an environment: the variables named in `names` (a config's `tokenEnv`s), the
 * defaults in {@link DEFAULT_SECRET_ENV}, and any variable whose name reads as a credential.
 * Empty values are skipped; values under {@link MIN_SECRET_CHARS} are kept but never match.
 */
export function secretsFromEnv(env: NodeJS.ProcessEnv, names: readonly string[] = []): NamedSecret[] {
  const wanted = new Set<string>([...names, ...DEFAULT_SECRET_ENV]);
  for (const name of Object.keys(env))
    if (SECRET_ENV_NAME.test(name) && !SECRET_LOCATION_NAME.test(name)) wanted.add(name);
  const out: NamedSecret[] = [];
  for (const name of wanted) {
    const value = env[name];
    if (value !== undefined && value.trim() !== '') out.push({ name, value });
  }
  return out;
}
