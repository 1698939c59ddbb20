/**
 * Session settings that make DuckDB 1.5.6 evaluate stage SQL the way DataFusion 49 does
 * (docs/sql.md, "Session settings"). Each name and value was checked against DuckDB 1.5.6.
 *
 * Scope, as measured on DuckDB 1.5.6:
 * - `TimeZone`, `integer_division`, `preserve_identifier_case` are connection (session) settings:
 *   a plain `SET` changes only the connection that runs it, and a connection opened later starts
 *   from the instance's global value.
 * - `default_null_order` is a global setting: a plain `SET` changes it for every connection.
 * So compat.ts applies all four with `SET GLOBAL`, which every connection opened later starts
 * from, even after `SET lock_configuration = true` (which makes every later `SET` fail, even one
 * that would not change anything), and then with a plain `SET`, because a global value does not
 * override one the running connection already set for its session.
 *
 * `TimeZone` cannot be passed in the instance configuration (`DuckDBInstance.create(path, config)`
 * fails with "the icu extension needs to be loaded"): it must be set with SQL after connecting.
 * The other three can also be given at creation, see INSTANCE_SETTINGS.
 */

export interface SessionSetting {
  readonly name: string;
  /** The value as a SQL literal. */
  readonly sql: string;
  /** What `current_setting(name)::VARCHAR` returns once the setting is applied. */
  readonly expected: string;
  readonly why: string;
}

export const SESSION_SETTINGS: readonly SessionSetting[] = Object.freeze([
  {
    name: 'TimeZone',
    sql: "'UTC'",
    expected: 'UTC',
    why: 'DataFusion reads ISO timestamps as naive UTC; TIMESTAMPTZ→DATE/TIMESTAMP casts use the session zone.',
  },
  {
    name: 'integer_division',
    sql: 'true',
    expected: 'true',
    why: 'DataFusion: 7/2 = 3 (DuckDB default: 3.5).',
  },
  {
    name: 'default_null_order',
    sql: "'nulls_last_on_asc_first_on_desc'",
    expected: 'NULLS_LAST_ON_ASC_FIRST_ON_DESC',
    why: 'DataFusion: ASC → NULLS LAST, DESC → NULLS FIRST.',
  },
  {
    name: 'preserve_identifier_case',
    sql: 'false',
    expected: 'false',
    why: 'DataFusion lower-cases unquoted identifiers (AS MyCol → mycol).',
  },
]);

/** The settings above that DuckDBInstance.create accepts in its configuration (all but TimeZone). */
export const INSTANCE_SETTINGS: Readonly<Record<string, string>> = Object.freeze({
  integer_division: 'true',
  default_null_order: 'nulls_last_on_asc_first_on_desc',
  preserve_identifier_case: 'false',
});

/**
 * `SET GLOBAL ...;` then `SET ...;` for every setting, as one multi-statement string: a global
 * value does not override a value the running connection already set for its session.
 */
export function settingsSql(): string {
  return SESSION_SETTINGS.flatMap((s) => [`SET GLOBAL ${s.name} = ${s.sql};`, `SET ${s.name} = ${s.sql};`]).join('\n');
}
