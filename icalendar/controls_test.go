package icalendar

import "testing"

func TestStripControls(t *testing.T) {
	tests := []struct{ in, want string }{
		{"SUMMARY:plain\r\n", "SUMMARY:plain\r\n"},
		{"SUMMARY:bell ->\a<-\r\n", "SUMMARY:bell -><-\r\n"},
		{"DESCRIPTION:tab\tstays\r\n", "DESCRIPTION:tab\tstays\r\n"},
		{"SUMMARY:\x00\x0b\x0c\x1f\x7fx\r\n", "SUMMARY:x\r\n"},
		{"SUMMARY:bare LF\nkeeps lines\n", "SUMMARY:bare LF\nkeeps lines\n"},
		{"SUMMARY:café \x15ok\r\n", "SUMMARY:café ok\r\n"},
	}
	for _, tt := range tests {
		if got := string(StripControls([]byte(tt.in))); got != tt.want {
			t.Errorf("StripControls(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
