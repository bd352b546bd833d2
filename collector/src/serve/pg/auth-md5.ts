import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const md5 = (s: string | Buffer): string => createHash('md5').update(s).digest('hex');

/** MD5 challenge (AuthenticationMD5Password): the client answers "md5" + md5(md5(password + user) + salt). */
export class Md5Challenge {
  readonly salt = randomBytes(4);

  constructor(
    private readonly user: string,
    private readonly password: string,
  ) {}

  /** True when the PasswordMessage's text proves knowledge of the password. */
  verify(answer: string): boolean {
    const inner = md5(this.password + this.user);
    const expected = Buffer.from('md5' + md5(Buffer.concat([Buffer.from(inner), this.salt])));
    const got = Buffer.from(answer);
    return got.length === expected.length && timingSafeEqual(got, expected);
  }
}
