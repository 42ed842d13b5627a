package validate

import "fmt"

// Encoding is how samples are stored, as named in the JSON report.
type Encoding string

// Encodings the reader knows. Only PCM and float can be measured.
const (
	EncodingPCM   Encoding = "pcm"
	EncodingFloat Encoding = "float"
	EncodingALaw  Encoding = "alaw"
	EncodingMuLaw Encoding = "mulaw"
	EncodingOther Encoding = "other"
)

// Format is what the fmt and data chunks declare, checked against the file.
type Format struct {
	Container string   `json:"container"`
	Encoding  Encoding `json:"encoding"`
	FormatTag int      `json:"format_tag"`
	// SubFormat is the GUID of a WAVE_FORMAT_EXTENSIBLE file.
	SubFormat   string `json:"sub_format,omitempty"`
	SampleRate  int    `json:"sample_rate"`
	Channels    int    `json:"channels"`
	Bits        int    `json:"bits"`
	ValidBits   int    `json:"valid_bits,omitempty"`
	ChannelMask uint32 `json:"channel_mask,omitempty"`
	BlockAlign  int    `json:"block_align"`
	// Frames counts the whole frames present in the file, which for a
	// truncated file is fewer than the header declares.
	Frames    int64   `json:"frames"`
	DurationS float64 `json:"duration_s"`
}

// Name is the short name used in config and messages: "pcm16", "float32".
func (f Format) Name() string {
	return fmt.Sprintf("%s%d", f.Encoding, f.Bits)
}

func (f Format) decodable() bool {
	switch f.Encoding {
	case EncodingPCM:
		return f.Bits == 8 || f.Bits == 16 || f.Bits == 24 || f.Bits == 32
	case EncodingFloat:
		return f.Bits == 32 || f.Bits == 64
	default: // A-law, μ-law and other codecs are refused before decoding
		return false
	}
}

func (f Format) codecName() string {
	switch f.Encoding {
	case EncodingALaw:
		return "A-law"
	case EncodingMuLaw:
		return "μ-law"
	default: // named by its format tag below
	}
	switch f.FormatTag {
	case 0x0002:
		return "MS-ADPCM"
	case 0x0011:
		return "IMA-ADPCM"
	case 0x0055:
		return "MP3"
	case tagExtensible:
		return "extensible sub-format " + f.SubFormat
	}
	return fmt.Sprintf("format tag 0x%04X", f.FormatTag)
}
