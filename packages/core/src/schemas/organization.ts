import { z } from 'zod';
import { idSchema, timestampSchema } from './common.js';

/** The tenant boundary: nothing crosses from one organization to another. */
export const organizationSchema = z.object({
  id: idSchema,
  name: z.string().min(1).max(200),
  slug: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/),
  /**
   * A ceiling on what the organization's model calls may cost per calendar month (UTC), in US
   * dollars; once this month's spending reaches it, new jobs are refused with `BUDGET_EXCEEDED`.
   * Null: no ceiling.
   */
  monthlyBudgetUsd: z.number().positive().nullable(),
  createdAt: timestampSchema,
  updatedAt: timestampSchema,
});
/** The tenant boundary. */
export type Organization = z.infer<typeof organizationSchema>;

/** A person who can act in organizations. */
export const userSchema = z.object({
  id: idSchema,
  email: z.string().email().max(320),
  name: z.string().min(1).max(200),
  createdAt: timestampSchema,
});
/** A person who can act in organizations. */
export type User = z.infer<typeof userSchema>;

/** Roles in an organization, from most to least powerful. */
export const memberRoleSchema = z.enum(['owner', 'admin', 'member']);
/** A role in an organization. */
export type MemberRole = z.infer<typeof memberRoleSchema>;

/** A user's membership of an organization. */
export const membershipSchema = z.object({
  organizationId: idSchema,
  userId: idSchema,
  role: memberRoleSchema,
  createdAt: timestampSchema,
});
/** A user's membership of an organization. */
export type Membership = z.infer<typeof membershipSchema>;

/**
 * A member as their organization sees them: the membership, and the person as this
 * organization recorded them. Users are shared across organizations, so the user's stored
 * profile (the name another organization gave them, when the account was made) is never part
 * of it: `name` is the one this organization recorded when it added the member, or null.
 */
export const memberSchema = membershipSchema.extend({
  user: z.object({
    id: idSchema,
    /** The account's email: the address this organization invited or added. */
    email: z.string().email().max(320),
    /** The name this organization knows the member by, or null when it recorded none. */
    name: z.string().min(1).max(200).nullable(),
  }),
});
/** A member as their organization sees them (see {@link memberSchema}). */
export type Member = z.infer<typeof memberSchema>;
