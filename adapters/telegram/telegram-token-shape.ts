/**
 * Offline check of a bot token's shape (`<bot id digits>:<35 characters of A-Z a-z 0-9 _ ->`), so
 * `doctor` can name a pasted-wrong token before any network call. What it says never contains the
 * token or any part of it.
 * @see https://core.telegram.org/bots/api#authorizing-your-bot
 */

const TOKEN_SHAPE = /^\d{1,20}:[A-Za-z0-9_-]{35}$/;

/** What is wrong with the token's shape, in words that reveal nothing of it; undefined when it looks right. */
export function tokenShapeProblem(token: string): string | undefined {
  if (TOKEN_SHAPE.test(token)) return undefined;
  if (token === '') return 'the token is empty';
  if (token.trim() !== token) return 'the token has spaces or a line break around it';
  if (/^["'].*["']$/.test(token)) return 'the token is wrapped in quotes';
  if (/^bot/i.test(token))
    return 'the token starts with "bot" (give the token alone, without the "bot" prefix)';
  const colon = token.indexOf(':');
  if (colon < 0)
    return `the token has no ':' (${token.length} characters; expected <digits>:<35 characters>)`;
  const id = token.slice(0, colon);
  const secret = token.slice(colon + 1);
  if (!/^\d+$/.test(id)) return "the part before ':' is not all digits (expected the bot's numeric id)";
  if (!/^[A-Za-z0-9_-]*$/.test(secret))
    return "the part after ':' has characters a token never has (expected letters, digits, _ and -)";
  return `the part after ':' has ${secret.length} characters (expected 35)`;
}
