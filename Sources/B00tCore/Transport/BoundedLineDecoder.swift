import NIOCore

/// One framed input: a complete line, or the news that a line was too long and was dropped.
enum InboundFrame {
    case line(ByteBuffer)
    case tooLong(Int)
}

/// Newline framing with a ceiling. NIO-extras' `LineBasedFrameDecoder` buffers without limit, and NIO's
/// `maximumBufferSize` ends the stream; here an oversized line is skipped up to its newline and reported, so
/// the connection stays usable and the server never buffers more than `maximumLength` for it.
struct BoundedLineDecoder: ByteToMessageDecoder {
    typealias InboundOut = InboundFrame
    let maximumLength: Int
    private var discarding = false
    private var discarded = 0

    init(maximumLength: Int) { self.maximumLength = maximumLength }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let view = buffer.readableBytesView
        if let newline = view.firstIndex(of: UInt8(ascii: "\n")) {
            let length = newline - view.startIndex
            if discarding {
                buffer.moveReaderIndex(forwardBy: length + 1)
                let total = discarded + length
                discarding = false
                discarded = 0
                context.fireChannelRead(wrapInboundOut(.tooLong(total)))
                return .continue
            }
            var line = buffer.readSlice(length: length)!
            buffer.moveReaderIndex(forwardBy: 1)
            if line.readableBytes > maximumLength {
                context.fireChannelRead(wrapInboundOut(.tooLong(line.readableBytes)))
                return .continue
            }
            if line.readableBytesView.last == UInt8(ascii: "\r") { line = line.getSlice(at: line.readerIndex, length: line.readableBytes - 1)! }
            context.fireChannelRead(wrapInboundOut(.line(line)))
            return .continue
        }
        if buffer.readableBytes > maximumLength || discarding {
            discarded += buffer.readableBytes
            discarding = true
            buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
        }
        return .needMoreData
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        if buffer.readableBytes > 0 && !discarding {
            let line = buffer.readSlice(length: buffer.readableBytes)!
            context.fireChannelRead(wrapInboundOut(.line(line)))
        }
        return .needMoreData
    }
}
