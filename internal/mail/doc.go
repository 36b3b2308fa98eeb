// Package mail delivers the outbox: the domain stores each message, already
// in the recipient's language, in the same transaction as the action that
// causes it, and the Worker here hands it to a Sender at least once, with
// exponential backoff, until the Sender accepts it or refuses it for good.
//
// Two senders exist: DirSender, the embedded mailer that writes each message
// as an RFC 5322 .eml file so a fresh install needs no mail server, and
// SMTPSender, which relays to an SMTP server named by a smtp:// or smtps://
// URL. Both send the same bytes, built once by compose.
package mail
