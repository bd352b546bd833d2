/**
 * Event types, following tirreno's vocabulary (event_type table) plus `account_password_reset`.
 * Senders may use other values; these are the ones rules and dashboards know.
 */
export const EVENT_TYPES = [
  'page_view',
  'page_edit',
  'page_delete',
  'page_search',
  'page_error',
  'account_login',
  'account_logout',
  'account_login_fail',
  'account_registration',
  'account_email_change',
  'account_password_change',
  'account_password_reset',
  'account_edit',
  'field_edit',
] as const;

export type KnownEventType = (typeof EVENT_TYPES)[number];

export const DEFAULT_EVENT_TYPE: KnownEventType = 'page_view';
export const ERROR_EVENT_TYPE: KnownEventType = 'page_error';

export function isKnownEventType(value: string): value is KnownEventType {
  return (EVENT_TYPES as readonly string[]).includes(value);
}
