package store

import "github.com/clientportal/portal/internal/portal/vocab"

// The vocabulary under its old names, for the TUIs until they speak vocab
// directly. This file goes with that switch.

const (
	StatusInvited      = vocab.StatusInvited
	StatusAwaiting     = vocab.StatusAwaiting
	StatusActive       = vocab.StatusActive
	StatusDisabled     = vocab.StatusDisabled
	StatusRejected     = vocab.StatusRejected
	InvitationOpen     = vocab.InvitationOpen
	InvitationAccepted = vocab.InvitationAccepted
	InvitationRevoked  = vocab.InvitationRevoked
	InvitationExpired  = vocab.InvitationExpired
	RoleAdmin          = vocab.RoleAdmin
	RoleSupport        = vocab.RoleSupport
	ActorStaff         = vocab.ActorStaff
	ActorClient        = vocab.ActorClient
	ActorGuest         = vocab.ActorGuest
	ActorSystem        = vocab.ActorSystem
	MailQueued         = vocab.MailQueued
	MailSent           = vocab.MailSent
	MailFailed         = vocab.MailFailed
	RequestNew         = vocab.RequestNew
	RequestInProgress  = vocab.RequestInProgress
	RequestWaiting     = vocab.RequestWaiting
	RequestDone        = vocab.RequestDone
	RequestRejected    = vocab.RequestRejected
	EventSubmitted     = vocab.EventSubmitted
	EventStatus        = vocab.EventStatus
	EventNote          = vocab.EventNote
	EventAssign        = vocab.EventAssign
	FieldText          = vocab.FieldText
	FieldMultiline     = vocab.FieldMultiline
	FieldDate          = vocab.FieldDate
	FieldChoice        = vocab.FieldChoice
	SignUpOff          = vocab.SignUpOff
	SignUpOn           = vocab.SignUpOn
	SignUpApproval     = vocab.SignUpApproval
)

type (
	AuditQuery  = vocab.AuditQuery
	ClientQuery = vocab.ClientQuery
	OutboxQuery = vocab.OutboxQuery
)

// ClientStatuses is vocab.ClientStatuses.
func ClientStatuses() []string { return vocab.ClientStatuses() }

// RequestStatuses is vocab.RequestStatuses.
func RequestStatuses() []string { return vocab.RequestStatuses() }

// FieldKinds is vocab.FieldKinds.
func FieldKinds() []string { return vocab.FieldKinds() }
