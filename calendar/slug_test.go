package calendar

import (
	"strings"
	"testing"
)

func TestSlug(t *testing.T) {
	for in, want := range map[string]string{
		"Work":                 "work",
		"  Family & Friends! ": "family-friends",
		"Équipe Café":          "équipe-café",
		"Equipe\u0301":         "equipé", // NFC: e + combining acute is é
		"日本の祝日":                "日本の祝日",
		"2026 / Q1":            "2026-q1",
		"🎉":                    "calendar",
		"":                     "calendar",
		"a/b\\c":               "a-b-c",
	} {
		got := Slug(in)
		if got != want {
			t.Errorf("Slug(%q) = %q, want %q", in, got, want)
		}
		if err := checkName(got); err != nil {
			t.Errorf("Slug(%q) = %q: %v", in, got, err)
		}
	}
	long := Slug(strings.Repeat("é", 100))
	if len(long) > maxSlugBytes || checkName(long) != nil || long != strings.Repeat("é", maxSlugBytes/2) {
		t.Errorf("long name: %q (%d bytes)", long, len(long))
	}
}

func TestFreeName(t *testing.T) {
	taken := map[string]bool{"work": true, "work-2": true, "work-4": true}
	if got := freeName("work", taken); got != "work-3" {
		t.Errorf("freeName = %q, want work-3", got)
	}
	if got := freeName("home", taken); got != "home" {
		t.Errorf("freeName = %q, want home", got)
	}
}
