/** Browser user agents of simulated people. */
export const BROWSER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0',
];

export const SEARCH_WORDS = ['spyglass', 'compass', 'chart', 'bottle', 'binoculars', 'tide', 'optics', 'nautical', 'paper', 'decor'];

/** Paths a 404 enumerator walks. */
export const ENUM_SEGMENTS = ['users', 'orders', 'accounts', 'invoices', 'config', 'internal', 'debug', 'v1', 'v2', 'v3', 'beta', 'private', 'export', 'backup', 'tokens', 'keys', 'graphql', 'metrics', 'status', 'health'];

/** What a scanner requests. */
export const SCANNER_PATHS = ['/.env', '/.git/config', '/wp-login.php', '/phpmyadmin/', '/admin.php', '/server-status', '/config.json', '/backup.zip', '/.aws/credentials', '/etc/passwd', '/cgi-bin/test.cgi', '/actuator/env', '/debug/default/view', '/xmlrpc.php'];

export const SCANNER_AGENTS = [
  'Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:Port Check)',
  'sqlmap/1.8.2#stable (https://sqlmap.org)',
  'Mozilla/5.0 (compatible; Nuclei - Open-source project (github.com/projectdiscovery/nuclei))',
];

/** Inputs that make /fragile throw. */
export const FUZZ_INPUTS = ['-1', '1e9', 'abc', '%00', "'", '""', '[]', '{}', '1.5', 'NaN', 'null', '0x10', '9'.repeat(40), '%ff%fe', '../'];

export const COMMON_PASSWORDS = ['123456', 'password', 'qwerty', 'letmein', 'dragon', 'monkey', 'iloveyou', 'admin', 'welcome', 'sunshine', 'football', 'princess'];
