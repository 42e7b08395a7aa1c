//! A write buffer with bounded memory: bytes stay in memory up to a threshold, then move to an anonymous
//! temporary file (`tempfile::tempfile()`, deleted by the OS when closed), so renderers that must print totals
//! before the findings (table, JUnit, HTML) can stream any number of findings.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};

/// The default in-memory size of one buffer before it spills to disk.
pub const DEFAULT_SPILL_THRESHOLD: usize = 4 * 1024 * 1024;

/// Bytes written so far, in memory (at most about `threshold` bytes) and in a temporary file.
#[derive(Debug)]
pub struct SpillBuffer {
    memory: Vec<u8>,
    file: Option<File>,
    threshold: usize,
    spilled: u64,
    peak_memory: usize,
}

impl SpillBuffer {
    /// A buffer that keeps up to `threshold` bytes in memory before moving them to a temporary file.
    pub fn new(threshold: usize) -> SpillBuffer {
        SpillBuffer {
            memory: Vec::new(),
            file: None,
            threshold,
            spilled: 0,
            peak_memory: 0,
        }
    }

    /// Total bytes written.
    pub fn len(&self) -> u64 {
        self.spilled + self.memory.len() as u64
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes moved to the temporary file so far.
    pub fn spilled_bytes(&self) -> u64 {
        self.spilled
    }

    /// The most bytes ever held in memory at once (after each write).
    pub fn peak_memory(&self) -> usize {
        self.peak_memory
    }

    /// Copies everything written, in order, to `out`, and empties the buffer.
    pub fn drain_into(&mut self, out: &mut dyn Write) -> io::Result<()> {
        if let Some(mut file) = self.file.take() {
            file.write_all(&self.memory)?;
            file.flush()?;
            file.seek(SeekFrom::Start(0))?;
            // Copy back through the (already allocated, threshold-sized) memory buffer in large reads:
            // `io::copy`'s 8 KiB buffer costs two system calls per 8 KiB of a section of hundreds of MB.
            let mut chunk = std::mem::take(&mut self.memory);
            chunk.clear();
            chunk.resize(self.threshold.clamp(64 * 1024, 8 * 1024 * 1024), 0);
            loop {
                match file.read(&mut chunk) {
                    Ok(0) => break,
                    Ok(n) => out.write_all(chunk.get(..n).unwrap_or_default())?,
                    Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                    Err(err) => return Err(err),
                }
            }
        } else {
            out.write_all(&self.memory)?;
        }
        self.memory = Vec::new();
        self.spilled = 0;
        Ok(())
    }

    fn spill(&mut self) -> io::Result<()> {
        let file = match &mut self.file {
            Some(file) => file,
            None => self.file.insert(tempfile::tempfile()?),
        };
        file.write_all(&self.memory)?;
        self.spilled += self.memory.len() as u64;
        self.memory.clear();
        Ok(())
    }
}

impl Write for SpillBuffer {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.memory.extend_from_slice(bytes);
        self.peak_memory = self.peak_memory.max(self.memory.len());
        if self.memory.len() > self.threshold {
            self.spill()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_content_stays_in_memory() {
        let mut buffer = SpillBuffer::new(1024);
        buffer.write_all(b"hello ").unwrap();
        buffer.write_all(b"world").unwrap();
        assert_eq!(buffer.len(), 11);
        assert_eq!(buffer.spilled_bytes(), 0);
        let mut out = Vec::new();
        buffer.drain_into(&mut out).unwrap();
        assert_eq!(out, b"hello world");
        assert!(buffer.is_empty());
    }

    #[test]
    fn large_content_spills_and_comes_back_in_order() {
        let mut buffer = SpillBuffer::new(100);
        let mut expected = Vec::new();
        for i in 0..10_000 {
            let line = format!("line {i}\n");
            buffer.write_all(line.as_bytes()).unwrap();
            expected.extend_from_slice(line.as_bytes());
        }
        assert!(buffer.spilled_bytes() > 0);
        assert!(buffer.peak_memory() <= 100 + "line 9999\n".len());
        assert_eq!(buffer.len(), expected.len() as u64);
        let mut out = Vec::new();
        buffer.drain_into(&mut out).unwrap();
        assert_eq!(out, expected);
    }
}
