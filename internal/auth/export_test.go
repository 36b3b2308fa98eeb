package auth

// inPool reports how many hashes a session has waiting, queued or running,
// and how many of a host's are in the pool's queue or running (those in
// its own line not counted).
func (h *Hasher) inPool(session, host string) (int, int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	if line := h.hosts[host]; line != nil {
		n = len(line.slots)
	}
	return h.sessions[session], n
}
