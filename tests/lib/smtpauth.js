// smtpauth.js — an SMTP sink with STARTTLS and AUTH for the mail tests
// (npm package smtp-server). Usage: node smtpauth.js DIR CERT KEY [--die-at N]
// Accepts user "mailer" / password "secret" only; refuses (550) any recipient
// whose address contains "reject"; writes each message to DIR/N.eml; with
// --die-at N the process exits at the N-th RCPT (a connection cut mid-run).
// Prints "listening PORT" once ready.
const { SMTPServer } = require('smtp-server');
const fs = require('fs');
const [dir, cert, key] = process.argv.slice(2, 5);
const dieAt = process.argv.includes('--die-at') ? +process.argv[process.argv.indexOf('--die-at') + 1] : 0;
let n = 0, rcpts = 0;
const server = new SMTPServer({
  secure: false,
  key: fs.readFileSync(key),
  cert: fs.readFileSync(cert),
  authMethods: ['PLAIN', 'LOGIN'],
  logger: false,
  onAuth(auth, session, cb) {
    if (auth.username === 'mailer' && auth.password === 'secret') return cb(null, { user: 'mailer' });
    return cb(new Error('Invalid username or password'));
  },
  onMailFrom(addr, session, cb) {
    if (!session.secure) return cb(Object.assign(new Error('Must issue STARTTLS first'), { responseCode: 530 }));
    cb();
  },
  onRcptTo(addr, session, cb) {
    rcpts++;
    if (dieAt && rcpts === dieAt) process.exit(3);
    if (addr.address.includes('reject')) return cb(Object.assign(new Error('No such user here'), { responseCode: 550 }));
    cb();
  },
  onData(stream, session, cb) {
    const chunks = [];
    stream.on('data', (c) => chunks.push(c));
    stream.on('end', () => {
      n++;
      fs.writeFileSync(`${dir}/${n}.eml`, Buffer.concat(chunks));
      cb();
    });
  },
});
server.listen(0, '127.0.0.1', () => console.log(`listening ${server.server.address().port}`));
