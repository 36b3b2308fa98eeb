// Package admin is the staff console: the Bubble Tea program an admin or a
// support staff member gets with `ssh -t -p PORT portal-admin@HOST`.
//
// The console is a parent model (Model) that draws the header (portal name,
// who is connected, the portal URL), the tabs and the status line of a
// running import, and routes keys and results to one small screen at a
// time: a tab (Clients, Requests, Sign-ups, Outbox, Audit, Settings, Staff)
// or a screen pushed over it (client detail, add client, import, add staff,
// a request, a note, the request types and their form).
//
// Every portal call runs in a tea.Cmd with the session's context, never in
// Update; roles are enforced by internal/portal, the console only hides what
// a role may not do. Nothing ticks while the console is idle: the Outbox,
// Sign-ups and Requests tabs and a request's page refresh themselves only
// while they are shown, and an import reports progress only while it runs.
package admin
