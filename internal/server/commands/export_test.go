package commands

// ParseSince is parseSince, for its table test.
var ParseSince = parseSince
