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
