import jsonld from 'jsonld'
import { Parser, Writer, type Quad } from 'n3'
import type { CatalogDocument } from './build-catalog.js'

/**
 * Turtle from the JSON-LD catalog, so the two can never say different things: JSON-LD to
 * RDF (JSON-LD 1.1 API section 4.4, "Deserialize JSON-LD to RDF") as N-Quads, then written
 * as Turtle (RDF 1.1 Turtle) with the document's own prefixes.
 */

/**
 * Safe mode fails on anything the conversion would drop silently (an undefined term, a
 * relative IRI), so a typo in the builder is an error, not a missing triple. The context is
 * inline: nothing may be fetched while answering a request.
 */
const OPTIONS = {
  format: 'application/n-quads',
  safe: true,
  documentLoader: async (url: string) => { throw new Error(`catalog: refusing to load remote context ${url}`) }
} as const

export async function catalogToQuads (document: CatalogDocument): Promise<Quad[]> {
  const nquads = await jsonld.toRDF(document as unknown as jsonld.JsonLdDocument, OPTIONS as unknown as jsonld.Options.ToRdf)
  return new Parser({ format: 'N-Quads' }).parse(nquads as string)
}

export async function catalogToTurtle (document: CatalogDocument): Promise<string> {
  const writer = new Writer({ format: 'Turtle', prefixes: document['@context'] })
  writer.addQuads(await catalogToQuads(document))
  return new Promise((resolve, reject) => writer.end((err, result) => (err != null ? reject(err) : resolve(result))))
}
