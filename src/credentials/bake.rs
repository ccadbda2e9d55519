//! Baking: the badge image with the credential inside, as Open Badges 3.0 specifies for PNG
//! (an `iTXt` chunk with the keyword `openbadgecredential` whose text is the compact JWT).
//!
//! The image is decoded once (it is the same for every credential) and re-encoded with the
//! chunk by the `png` crate.

use std::io::Cursor;
use std::sync::OnceLock;

/// The keyword of the chunk that carries a credential.
pub const KEYWORD: &str = "openbadgecredential";

/// The badge artwork (`badge.svg`, rendered to PNG).
pub const BADGE: &[u8] = include_bytes!("badge.png");

/// Largest PNG [`unbake`] decodes (pixels, as bytes): the badge is 1 MiB; anything sent to
/// the public verify route is refused beyond this.
const DECODE_LIMIT: usize = 16 << 20;

struct Image {
    info: png::Info<'static>,
    data: Vec<u8>,
}

fn badge() -> Result<&'static Image, String> {
    static IMAGE: OnceLock<Result<Image, String>> = OnceLock::new();
    IMAGE
        .get_or_init(|| decode(BADGE).map_err(|e| format!("the badge image: {e}")))
        .as_ref()
        .map_err(Clone::clone)
}

fn decode(bytes: &[u8]) -> Result<Image, png::DecodingError> {
    let mut decoder = png::Decoder::new_with_limits(
        Cursor::new(bytes),
        png::Limits {
            bytes: DECODE_LIMIT,
        },
    );
    decoder.set_transformations(png::Transformations::IDENTITY);
    let mut reader = decoder.read_info()?;
    let mut data = vec![0; reader.output_buffer_size().unwrap_or(0)];
    let frame = reader.next_frame(&mut data)?;
    data.truncate(frame.buffer_size());
    reader.finish()?;
    Ok(Image {
        info: reader.info().clone().to_owned(),
        data,
    })
}

/// The badge PNG with `jwt` baked in.
pub fn bake(jwt: &str) -> Result<Vec<u8>, String> {
    let image = badge()?;
    let info = &image.info;
    let mut out = Vec::with_capacity(BADGE.len() + jwt.len() + 64);
    let mut encoder = png::Encoder::new(&mut out, info.width, info.height);
    encoder.set_color(info.color_type);
    encoder.set_depth(info.bit_depth);
    // The artwork is optimised; re-encoding at the highest level keeps the badge near its size.
    encoder.set_compression(png::Compression::High);
    if let Some(palette) = &info.palette {
        encoder.set_palette(palette.to_vec());
    }
    if let Some(trns) = &info.trns {
        encoder.set_trns(trns.to_vec());
    }
    encoder
        .add_itxt_chunk(KEYWORD.to_string(), jwt.to_string())
        .map_err(|e| e.to_string())?;
    let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
    writer
        .write_image_data(&image.data)
        .map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())?;
    Ok(out)
}

/// The credential baked into a PNG: `Ok(None)` when it carries none, `Err` when the bytes are
/// not a readable PNG.
pub fn unbake(bytes: &[u8]) -> Result<Option<String>, String> {
    let image = decode(bytes).map_err(|e| e.to_string())?;
    for chunk in &image.info.utf8_text {
        if chunk.keyword == KEYWORD {
            let mut chunk = chunk.clone();
            chunk.decompress_text().map_err(|e| e.to_string())?;
            return chunk.get_text().map(Some).map_err(|e| e.to_string());
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_baked_badge_gives_back_its_credential_and_the_plain_one_none() {
        let baked = bake("a.b.c").unwrap();
        assert!(baked.starts_with(b"\x89PNG"));
        assert_eq!(unbake(&baked).unwrap().as_deref(), Some("a.b.c"));
        assert_eq!(unbake(BADGE).unwrap(), None);
        assert!(unbake(b"not a png").is_err());
    }
}
