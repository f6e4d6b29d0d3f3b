//! Photos of proposals: JPEG or PNG by their magic bytes, everything else refused; every
//! metadata segment (EXIF with its GPS position, XMP, IPTC, comments, text chunks) removed
//! before anything is stored. Stripping is done on the container, so the pixels are the
//! resident's bytes, untouched.

/// Largest photo accepted, bytes.
pub const MAX_PHOTO_BYTES: usize = 5 << 20;

/// Why a photo was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhotoError {
    /// Not a JPEG or PNG by its first bytes.
    NotAnImage,
    /// Starts like an image but its segments do not add up.
    Broken(&'static str),
}

/// A photo ready to store: its bytes without metadata and its media type.
#[derive(Debug, Clone)]
pub struct CleanPhoto {
    pub bytes: Vec<u8>,
    pub mime: &'static str,
}

/// Checks the type by magic bytes and strips metadata.
pub fn clean(data: &[u8]) -> Result<CleanPhoto, PhotoError> {
    if data.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Ok(CleanPhoto {
            bytes: strip_jpeg(data)?,
            mime: "image/jpeg",
        })
    } else if data.starts_with(PNG_SIGNATURE) {
        Ok(CleanPhoto {
            bytes: strip_png(data)?,
            mime: "image/png",
        })
    } else {
        Err(PhotoError::NotAnImage)
    }
}

const PNG_SIGNATURE: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];

/// Keeps SOI, the frame and table segments, JFIF (APP0) and Adobe (APP14, which says how
/// to decode the colours) and everything from the first scan on; drops APP1–APP13, APP15
/// (EXIF, XMP, ICC, IPTC…) and comments.
fn strip_jpeg(d: &[u8]) -> Result<Vec<u8>, PhotoError> {
    let mut out = Vec::with_capacity(d.len());
    out.extend_from_slice(&d[..2]);
    let mut i = 2;
    loop {
        // Fill bytes (0xFF) may precede a marker.
        while d.get(i) == Some(&0xFF) && d.get(i + 1) == Some(&0xFF) {
            i += 1;
        }
        let (Some(&0xFF), Some(&marker)) = (d.get(i), d.get(i + 1)) else {
            return Err(PhotoError::Broken("a JPEG segment does not start with a marker"));
        };
        // Markers without a length.
        if marker == 0x01 || (0xD0..=0xD7).contains(&marker) {
            out.extend_from_slice(&d[i..i + 2]);
            i += 2;
            continue;
        }
        if marker == 0xD9 {
            return Err(PhotoError::Broken("a JPEG without image data"));
        }
        let (Some(&hi), Some(&lo)) = (d.get(i + 2), d.get(i + 3)) else {
            return Err(PhotoError::Broken("a JPEG segment is cut off"));
        };
        let len = usize::from(u16::from_be_bytes([hi, lo]));
        if len < 2 || i + 2 + len > d.len() {
            return Err(PhotoError::Broken("a JPEG segment is longer than the file"));
        }
        let end = i + 2 + len;
        if marker == 0xDA {
            // Start of scan: the image data and what follows are kept as they are.
            out.extend_from_slice(&d[i..]);
            return Ok(out);
        }
        let metadata = matches!(marker, 0xE1..=0xED | 0xEF | 0xFE);
        if !metadata {
            out.extend_from_slice(&d[i..end]);
        }
        i = end;
    }
}

/// Chunks that describe how to draw the pixels; everything else (tEXt, zTXt, iTXt, eXIf,
/// tIME, iCCP with its profile name, private chunks) is dropped.
const PNG_KEEP: &[&[u8; 4]] = &[
    b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"pHYs", b"sBIT", b"bKGD",
];

fn strip_png(d: &[u8]) -> Result<Vec<u8>, PhotoError> {
    let mut out = Vec::with_capacity(d.len());
    out.extend_from_slice(PNG_SIGNATURE);
    let mut i = PNG_SIGNATURE.len();
    let mut saw_idat = false;
    while i < d.len() {
        let Some(len) = d.get(i..i + 4).and_then(|b| <[u8; 4]>::try_from(b).ok()) else {
            return Err(PhotoError::Broken("a PNG chunk is cut off"));
        };
        let len = u32::from_be_bytes(len) as usize;
        let end = i
            .checked_add(12)
            .and_then(|e| e.checked_add(len))
            .filter(|e| *e <= d.len())
            .ok_or(PhotoError::Broken("a PNG chunk is longer than the file"))?;
        let kind = &d[i + 4..i + 8];
        if PNG_KEEP.iter().any(|k| k.as_slice() == kind) {
            out.extend_from_slice(&d[i..end]);
        }
        saw_idat |= kind == b"IDAT";
        i = end;
        if kind == b"IEND" {
            break;
        }
    }
    if !saw_idat {
        return Err(PhotoError::Broken("a PNG without image data"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment(marker: u8, payload: &[u8]) -> Vec<u8> {
        let mut s = vec![0xFF, marker];
        s.extend_from_slice(&u16::try_from(payload.len() + 2).unwrap().to_be_bytes());
        s.extend_from_slice(payload);
        s
    }

    #[test]
    fn jpeg_loses_exif_and_comments_keeps_tables_and_scan() {
        let mut j = vec![0xFF, 0xD8];
        j.extend(segment(0xE0, b"JFIF\0\x01\x01"));
        let exif: &[u8] = b"Exif\0\0GPS 43.2383N 76.9453E";
        let comment: &[u8] = b"secret comment";
        j.extend(segment(0xE1, exif));
        j.extend(segment(0xFE, comment));
        j.extend(segment(0xDB, &[0u8; 65]));
        j.extend(segment(0xDA, &[1, 2, 3]));
        j.extend_from_slice(&[0x55, 0xAA, 0xFF, 0xD9]);
        let c = clean(&j).unwrap();
        assert_eq!(c.mime, "image/jpeg");
        let s = String::from_utf8_lossy(&c.bytes);
        assert!(
            !s.contains("GPS") && !s.contains("Exif") && !s.contains("secret"),
            "{s}"
        );
        assert!(s.contains("JFIF"));
        assert!(c.bytes.ends_with(&[0x55, 0xAA, 0xFF, 0xD9]));
        assert_eq!(c.bytes.len(), j.len() - (4 + exif.len()) - (4 + comment.len()));
    }

    #[test]
    fn png_loses_text_chunks() {
        let chunk = |kind: &[u8], data: &[u8]| {
            let mut c = u32::try_from(data.len()).unwrap().to_be_bytes().to_vec();
            c.extend_from_slice(kind);
            c.extend_from_slice(data);
            c.extend_from_slice(&[0, 0, 0, 0]);
            c
        };
        let mut p = PNG_SIGNATURE.to_vec();
        p.extend(chunk(b"IHDR", &[0; 13]));
        p.extend(chunk(b"tEXt", b"Author\0Someone at home"));
        p.extend(chunk(b"eXIf", b"GPS"));
        p.extend(chunk(b"IDAT", &[1, 2, 3]));
        p.extend(chunk(b"IEND", &[]));
        let c = clean(&p).unwrap();
        let s = String::from_utf8_lossy(&c.bytes);
        assert!(!s.contains("Someone") && !s.contains("GPS"), "{s}");
        assert!(s.contains("IHDR") && s.contains("IDAT") && s.contains("IEND"));
    }

    #[test]
    fn non_images_and_broken_files_are_refused() {
        assert_eq!(clean(b"%PDF-1.7 hello").unwrap_err(), PhotoError::NotAnImage);
        assert_eq!(clean(b"GIF89a....").unwrap_err(), PhotoError::NotAnImage);
        assert_eq!(clean(b"").unwrap_err(), PhotoError::NotAnImage);
        assert!(matches!(
            clean(&[0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF]),
            Err(PhotoError::Broken(_))
        ));
        assert!(matches!(clean(&[0xFF, 0xD8, 0xFF, 0xD9]), Err(PhotoError::Broken(_))));
        let mut p = PNG_SIGNATURE.to_vec();
        p.extend_from_slice(&[0, 0, 0, 200, b'I', b'H', b'D', b'R']);
        assert!(matches!(clean(&p), Err(PhotoError::Broken(_))));
    }
}
