// Package vocab holds the portal's words: the statuses, roles and kinds a
// client, a request or a mail can have, and the questions one asks of the
// lists (the query structs). It is the one definition of each: the domain
// (internal/portal) and its doors speak it, and the store, which keeps
// these words in its columns and filters by them, imports it too, so no
// second list is kept in step. It depends on nothing of the portal's.
package vocab

import "time"

// Client statuses.
const (
	StatusInvited  = "invited"  // added by staff, invitation not yet accepted
	StatusAwaiting = "awaiting" // signed up and verified, waiting for staff to approve
	// A sign-up not verified yet is no client at all: it waits until its
	// code is entered.
	StatusActive   = "active"   // can log in
	StatusDisabled = "disabled" // refused at log in; sessions ended
	StatusRejected = "rejected" // a sign-up staff turned down
)

// ClientStatuses lists the statuses in the order people think of them.
func ClientStatuses() []string {
	return []string{StatusInvited, StatusAwaiting, StatusActive, StatusDisabled, StatusRejected}
}

// Invitation states, derived from an invitation's timestamps.
const (
	InvitationOpen     = "open"
	InvitationAccepted = "accepted"
	InvitationRevoked  = "revoked"
	InvitationExpired  = "expired"
)

// StaffUser is the SSH user name staff connect as: the console and the
// staff commands answer it, and mails that tell staff how to connect name it.
const StaffUser = "portal-admin"

// Staff roles.
const (
	RoleAdmin   = "admin"
	RoleSupport = "support"
)

// Roles lists the staff roles, the most powerful first.
func Roles() []string { return []string{RoleAdmin, RoleSupport} }

// Actor kinds: who did something, in the audit log and a request's history.
const (
	ActorStaff  = "staff"
	ActorClient = "client"
	ActorGuest  = "guest" // someone not (yet) identified: a failed log in, a sign-up
	ActorSystem = "system"
)

// Outbox states of a mail.
const (
	MailQueued = "queued"
	MailSent   = "sent"
	MailFailed = "failed"
)

// Request statuses, in the order a request usually moves through them.
const (
	RequestNew        = "new"
	RequestInProgress = "in_progress"
	RequestWaiting    = "waiting" // on the client
	RequestDone       = "done"
	RequestRejected   = "rejected"
)

// RequestStatuses lists the request statuses in their usual order.
func RequestStatuses() []string {
	return []string{RequestNew, RequestInProgress, RequestWaiting, RequestDone, RequestRejected}
}

// Request event kinds: the entries of a request's history.
const (
	EventSubmitted = "submitted"
	EventStatus    = "status"
	EventNote      = "note"
	EventAssign    = "assign"
)

// Request field kinds: what a client types into a field of a request type.
const (
	FieldText      = "text"      // one line
	FieldMultiline = "multiline" // several lines
	FieldDate      = "date"      // a calendar date, YYYY-MM-DD
	FieldChoice    = "choice"    // one of the field's choices
)

// FieldKinds lists the field kinds in the order people meet them.
func FieldKinds() []string {
	return []string{FieldText, FieldMultiline, FieldDate, FieldChoice}
}

// Sign-up modes, the portal-wide setting.
const (
	SignUpOff      = "off"      // clients cannot sign up
	SignUpOn       = "on"       // a verified sign-up is active at once
	SignUpApproval = "approval" // a verified sign-up waits for staff to approve it
)

// ClientQuery selects a page of clients.
type ClientQuery struct {
	// Search finds clients by the start of any word of their name, company
	// or email (local part and domain split at punctuation: "smi" finds
	// "Ann Smith", "acme" finds "bob@acme-legal.com"), in any case and
	// without regard to accents. Several words must all match.
	Search string
	// Status keeps only clients with this status; "" keeps all.
	Status string
	// After is the normalized email of the last client of the previous
	// page.
	After string
	// AfterID is the ID of the last client of the previous page: the
	// cursor of a search, whose pages are ordered by ID (optional: for a
	// search, After alone works too, at the cost of one lookup).
	AfterID uint64
	// Limit is the page size (default 50, at most 1000).
	Limit int
}

// AuditQuery selects a page of the audit log, newest first.
type AuditQuery struct {
	Since     time.Time
	ActorKind string
	Actor     string
	Action    string
	Subject   string
	// Before is the ID of the last event of the previous page (0: first page).
	Before uint64
	Limit  int
}

// OutboxQuery selects a page of the outbox, newest first.
type OutboxQuery struct {
	State  string
	Before uint64
	Limit  int
}

// Audit actions: what an audit event records, and what AuditQuery.Action
// filters on. An address past its limit of attempts of a kind is audited
// as RateLimited(kind).
const (
	AuditClientAdd             = "client.add"
	AuditClientDisable         = "client.disable"
	AuditClientEnable          = "client.enable"
	AuditClientEndSessions     = "client.end_sessions"
	AuditClientImport          = "client.import"
	AuditClientImportFile      = "client.import_file"
	AuditClientLanguage        = "client.language"
	AuditCodeWrong             = "code.wrong"
	AuditEmailVerify           = "email.verify"
	AuditInvitationAccept      = "invitation.accept"
	AuditInvitationResend      = "invitation.resend"
	AuditLoginDisabled         = "login.disabled"
	AuditLoginFailure          = "login.failure"
	AuditLoginLockout          = "login.lockout"
	AuditLoginSuccess          = "login.success"
	AuditLogout                = "logout"
	AuditMailRetry             = "mail.retry"
	AuditPasswordChange        = "password.change"
	AuditPasswordChangeRefused = "password.change_refused"
	AuditProfileUpdate         = "profile.update"
	AuditRequestAssign         = "request.assign"
	AuditRequestNote           = "request.note"
	AuditRequestStatus         = "request.status"
	AuditRequestSubmit         = "request.submit"
	AuditRequestTypeAdd        = "request_type.add"
	AuditRequestTypeDisable    = "request_type.disable"
	AuditRequestTypeEdit       = "request_type.edit"
	AuditRequestTypeEnable     = "request_type.enable"
	AuditResetDone             = "reset.done"
	AuditResetRequest          = "reset.request"
	AuditSettingSignUp         = "setting.signup"
	AuditSignUp                = "signup"
	AuditSignUpApprove         = "signup.approve"
	AuditSignUpCodeResent      = "signup.code_resent"
	AuditSignUpExisting        = "signup.existing"
	AuditSignUpReject          = "signup.reject"
	AuditSignUpRemove          = "signup.remove"
	AuditStaffAdd              = "staff.add"
	AuditStaffRemove           = "staff.remove"
	AuditStaffRemoveKey        = "staff.remove_key"
)

// RateLimited is the audit action of an address past its limit of attempts
// of kind (a log in, a code check, a sign-up...).
func RateLimited(kind string) string { return kind + ".rate_limited" }
