package dev.transcriber.api.errors;

import dev.transcriber.common.storage.BufferMemoryExhaustedException;
import dev.transcriber.common.web.Unavailable;
import jakarta.servlet.http.HttpServletRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.HttpMediaTypeNotSupportedException;
import org.springframework.web.HttpRequestMethodNotSupportedException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.method.annotation.MethodArgumentTypeMismatchException;
import org.springframework.web.servlet.resource.NoResourceFoundException;

/** The one place where exceptions become OpenAI error bodies. */
@RestControllerAdvice
class ApiExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(ApiExceptionHandler.class);

    @ExceptionHandler(ApiException.class)
    ResponseEntity<OpenAiError> api(ApiException e) {
        return body(e);
    }

    @ExceptionHandler(HttpMediaTypeNotSupportedException.class)
    ResponseEntity<OpenAiError> mediaType(HttpMediaTypeNotSupportedException e) {
        String expected = e.getSupportedMediaTypes().isEmpty()
                ? "multipart/form-data"
                : e.getSupportedMediaTypes().stream()
                        .map(type -> type.getType() + "/" + type.getSubtype())
                        .distinct()
                        .collect(java.util.stream.Collectors.joining(" or "));
        return body(
                ApiException.invalidRequest("Unsupported Content-Type: this endpoint expects " + expected + ".", null));
    }

    /** A JSON body that does not parse, or whose fields have the wrong types. */
    @ExceptionHandler(HttpMessageNotReadableException.class)
    ResponseEntity<OpenAiError> unreadable(HttpMessageNotReadableException e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof RequestTooLargeException tooLarge) {
                return body(tooLarge.toApiException());
            }
            if (cause instanceof NulInTextException nul) {
                String field = nul.field();
                return body(ApiException.invalidRequest(
                        "Invalid value for '" + (field == null ? "body" : field)
                                + "': text must not contain NUL characters (\\u0000).",
                        field));
            }
        }
        return body(ApiException.invalidRequest(
                "We could not parse the JSON body of your request: it must be a JSON object with the documented"
                        + " fields and types.",
                null));
    }

    /** A query or path parameter of the wrong type ({@code limit=abc}). */
    @ExceptionHandler(MethodArgumentTypeMismatchException.class)
    ResponseEntity<OpenAiError> mismatch(MethodArgumentTypeMismatchException e) {
        return body(ApiException.invalidRequest(
                "Invalid value for '" + e.getName() + "': '" + e.getValue() + "'.", e.getName()));
    }

    @ExceptionHandler(HttpRequestMethodNotSupportedException.class)
    ResponseEntity<OpenAiError> method(HttpRequestMethodNotSupportedException e, HttpServletRequest request) {
        return body(new ApiException(
                HttpStatus.METHOD_NOT_ALLOWED,
                "invalid_request_error",
                "method_not_allowed",
                null,
                "Method " + e.getMethod() + " is not allowed on " + request.getRequestURI() + "."));
    }

    @ExceptionHandler(NoResourceFoundException.class)
    ResponseEntity<OpenAiError> notFound(NoResourceFoundException e, HttpServletRequest request) {
        return body(new ApiException(
                HttpStatus.NOT_FOUND,
                "invalid_request_error",
                "not_found",
                null,
                "Unknown request URL: " + request.getMethod() + " " + request.getRequestURI() + "."));
    }

    /** A capped body read past its limit by something other than a message converter. */
    @ExceptionHandler(RequestTooLargeException.class)
    ResponseEntity<OpenAiError> tooLarge(RequestTooLargeException e) {
        return body(e.toApiException());
    }

    /** The process's memory for uploads on their way to the store stayed spent: 503, to be sent again. */
    @ExceptionHandler(BufferMemoryExhaustedException.class)
    ResponseEntity<OpenAiError> busy(BufferMemoryExhaustedException e, HttpServletRequest request) {
        log.warn("upload refused on {} {}: {}", request.getMethod(), request.getRequestURI(), e.getMessage());
        return body(ApiException.serverBusy());
    }

    @ExceptionHandler(Exception.class)
    ResponseEntity<?> unexpected(Exception e, HttpServletRequest request) {
        if (revokedKey(e)) {
            // authenticated before its key was revoked, refused by the database when it recorded its work
            return body(ApiException.unauthorized("Incorrect API key provided."));
        }
        var unavailable = Unavailable.dependencyDown(e);
        if (unavailable.isPresent()) {
            log.warn("dependency unavailable on {} {}: {}", request.getMethod(), request.getRequestURI(), e.toString());
            return unavailable.get();
        }
        log.error("unexpected error on {} {}", request.getMethod(), request.getRequestURI(), e);
        return body(ApiException.internal());
    }

    /** The database's refusal of a revoked key's new job or batch (SQLSTATE TR401, migration V24). */
    private static boolean revokedKey(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof java.sql.SQLException sql && "TR401".equals(sql.getSQLState())) {
                return true;
            }
        }
        return false;
    }

    private static ResponseEntity<OpenAiError> body(ApiException e) {
        return ErrorResponses.entity(e);
    }
}
