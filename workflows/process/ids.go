package process

import "strings"

// WorkflowID is prefix + "-" + key, with key made safe for a workflow id
// whatever it holds: letters, digits and ".", "_", "~", "-" stay as they are,
// so the ids of ASCII keys read as the key itself, and every other byte is
// written %XX (as in a URL), which gRPC always accepts and which maps back
// to the key. The key must be the caller's opaque business key, never
// personal data.
func WorkflowID(prefix, key string) string {
	var b strings.Builder
	b.WriteString(prefix)
	b.WriteByte('-')
	for i := 0; i < len(key); i++ {
		c := key[i]
		if isUnreserved(c) {
			b.WriteByte(c)
		} else {
			b.WriteByte('%')
			b.WriteByte(upperHex[c>>4])
			b.WriteByte(upperHex[c&0xf])
		}
	}
	return b.String()
}

func isUnreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '~' || c == '-'
}

const upperHex = "0123456789ABCDEF"
