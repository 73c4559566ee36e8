import { ROLE_PERMISSIONS, type Permission, type Role } from '@dio/protocol';

/**
 * Who is making a request, once authenticated. Users and API keys act with a role; agents act
 * only on their own channel. `actor` is the name audit records carry.
 */
export type Principal =
  | { kind: 'user'; id: string; name: string; role: Role }
  | { kind: 'apikey'; id: string; name: string; role: Role }
  | { kind: 'agent'; id: string; name: string; role: 'agent' };

export function actorOf(p: Principal): string {
  return `${p.kind}:${p.name}`;
}

export function permissionsOf(p: Principal): readonly Permission[] {
  return ROLE_PERMISSIONS[p.role];
}

export function can(p: Principal, permission: Permission): boolean {
  return ROLE_PERMISSIONS[p.role].includes(permission);
}
