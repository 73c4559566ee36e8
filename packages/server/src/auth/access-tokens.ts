import { jwtVerify, SignJWT, errors as joseErrors } from 'jose';
import { AppError } from '../shared/app-error.js';
import type { Clock } from '../shared/clock.js';

const ISSUER = 'dio';
const AUDIENCE = 'dio-api';

/**
 * Short-lived JWT access tokens (HS256, key from the store). They name the user only; role and
 * disabled state are looked up on every request, so a demotion or a disable takes effect at once.
 */
export function createAccessTokens(deps: { key: Uint8Array; ttlS: number; clock: Clock }) {
  return {
    ttlS: deps.ttlS,
    async issue(userId: string, username: string): Promise<string> {
      const now = Math.floor(deps.clock.now() / 1000);
      return new SignJWT({ name: username, typ: 'access' })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(userId)
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setIssuedAt(now)
        .setExpirationTime(now + deps.ttlS)
        .sign(deps.key);
    },
    /** The user id in a valid token; AppError 401 `auth.token_expired` / `auth.invalid_token` otherwise. */
    async verify(token: string): Promise<string> {
      try {
        const { payload } = await jwtVerify(token, deps.key, {
          issuer: ISSUER,
          audience: AUDIENCE,
          algorithms: ['HS256'],
          currentDate: new Date(deps.clock.now()),
          clockTolerance: 5,
        });
        if (payload.typ !== 'access' || typeof payload.sub !== 'string') throw new AppError('auth.invalid_token', 'not an access token', { status: 401 });
        return payload.sub;
      } catch (e) {
        if (e instanceof AppError) throw e;
        if (e instanceof joseErrors.JWTExpired) throw new AppError('auth.token_expired', 'the access token has expired; refresh it or log in again', { status: 401 });
        throw new AppError('auth.invalid_token', 'the access token is not valid', { status: 401 });
      }
    },
  };
}
export type AccessTokens = ReturnType<typeof createAccessTokens>;
