package portal

import (
	"context"
	"sync"
)

// Sessions tracks which live SSH sessions belong to which client, so that a
// password reset or a disable can end them at once.
type Sessions struct {
	mu       sync.Mutex
	byClient map[uint64]map[string]func()
}

// NewSessions makes an empty registry.
func NewSessions() *Sessions {
	return &Sessions{byClient: map[uint64]map[string]func(){}}
}

// Bind records that session id is client clientID's; end ends it. The
// binding goes away by itself when ctx (the SSH session's) ends.
func (r *Sessions) Bind(ctx context.Context, clientID uint64, id string, end func()) {
	r.mu.Lock()
	m := r.byClient[clientID]
	if m == nil {
		m = map[string]func(){}
		r.byClient[clientID] = m
	}
	m[id] = end
	r.mu.Unlock()
	context.AfterFunc(ctx, func() { r.Unbind(clientID, id) })
}

// Unbind forgets session id of the client (after log out).
func (r *Sessions) Unbind(clientID uint64, id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if m := r.byClient[clientID]; m != nil {
		delete(m, id)
		if len(m) == 0 {
			delete(r.byClient, clientID)
		}
	}
}

// End ends every live session of the client but the one named except, and
// returns how many it ended.
func (r *Sessions) End(clientID uint64, except string) int {
	r.mu.Lock()
	var ends []func()
	for id, end := range r.byClient[clientID] {
		if id != except {
			ends = append(ends, end)
			delete(r.byClient[clientID], id)
		}
	}
	r.mu.Unlock()
	// Called outside the lock: an end function may take time or re-enter.
	for _, end := range ends {
		end()
	}
	return len(ends)
}

// Count is how many live sessions the client has.
func (r *Sessions) Count(clientID uint64) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.byClient[clientID])
}
