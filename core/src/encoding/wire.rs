//! Reading fixed-layout fields from untrusted bytes without panics.

use crate::error::FormatError;

/// A cursor over bytes that reports which field ran out.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes }
    }

    pub(crate) fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], FormatError> {
        if n > self.bytes.len() {
            return Err(FormatError::Truncated(field));
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Ok(head)
    }

    pub(crate) fn array<const N: usize>(
        &mut self,
        field: &'static str,
    ) -> Result<[u8; N], FormatError> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N, field)?);
        Ok(out)
    }

    pub(crate) fn u8(&mut self, field: &'static str) -> Result<u8, FormatError> {
        Ok(self.array::<1>(field)?[0])
    }

    pub(crate) fn u24(&mut self, field: &'static str) -> Result<u32, FormatError> {
        let [a, b, c] = self.array::<3>(field)?;
        Ok(u32::from_be_bytes([0, a, b, c]))
    }

    pub(crate) fn u32(&mut self, field: &'static str) -> Result<u32, FormatError> {
        Ok(u32::from_be_bytes(self.array::<4>(field)?))
    }

    /// A field of a one-byte length and that many bytes.
    pub(crate) fn short_bytes(&mut self, field: &'static str) -> Result<&'a [u8], FormatError> {
        let len = self.u8(field)?;
        self.take(usize::from(len), field)
    }

    /// Fails unless every byte has been read.
    pub(crate) fn finish(self) -> Result<(), FormatError> {
        match self.bytes.len() {
            0 => Ok(()),
            n => Err(FormatError::TrailingBytes(n)),
        }
    }
}
