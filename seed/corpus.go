package seed

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// LoadCorpus reads real consumer texts for Options.Corpus from a CSV file
// with a header row and a `review` column, such as the online-shopping review
// set in ../shared/corpus. When the file also has a `label` column only the
// negative rows (label 0) are kept: they read like complaints, the positive
// ones do not. Byte-order marks are removed wherever they occur and empty
// texts are skipped.
//
// The corpus is read at run time and never copied into the repository: its
// licence allows local testing and measurement only.
func LoadCorpus(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("seed: open corpus: %w", err)
	}
	defer f.Close()
	texts, err := readCorpus(f)
	if err != nil {
		return nil, fmt.Errorf("seed: corpus %s: %w", path, err)
	}
	return texts, nil
}

func readCorpus(r io.Reader) ([]string, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // a short row is skipped, not fatal
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("empty file")
	}
	if err != nil {
		return nil, fmt.Errorf("read header: %w", err)
	}
	review, label := -1, -1
	for i, h := range header {
		switch strings.TrimSpace(stripBOM(h)) {
		case "review":
			review = i
		case "label":
			label = i
		}
	}
	if review < 0 {
		return nil, fmt.Errorf("no review column in header %q", header)
	}
	var texts []string
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read: %w", err)
		}
		if review >= len(rec) {
			continue
		}
		if label >= 0 && (label >= len(rec) || strings.TrimSpace(rec[label]) != "0") {
			continue
		}
		if t := strings.TrimSpace(stripBOM(rec[review])); t != "" {
			texts = append(texts, t)
		}
	}
	if len(texts) == 0 {
		return nil, errors.New("no usable texts")
	}
	return texts, nil
}

func stripBOM(s string) string { return strings.ReplaceAll(s, "\uFEFF", "") }
